"""A Mandarin <-> English glossary of interview, engineering and behavioural terms, for asking across
languages: "who has mentored new grads?" should find "我带过两个应届生", which e5-small's cross-language
cosine ranks far down. `translate` finds the glossary's terms in a question and returns their names in the
other language; bot.ask adds them to the question it embeds and searches by its words.

One line a concept: Mandarin variants, " = ", English variants, "|" between variants. The first variant of
each side is what a question is expanded with; the others are only recognised. A Mandarin variant is found
as a substring (at least two characters), an English one as whole words, case-insensitive, hyphens read as
spaces, with a plural or -ed / -ing ending allowed on its last word (list irregular forms: retried).
The technical lexicon (bot/data/tech_lexicon.tsv) spells Mandarin terms for the ASR corrector; this list
pairs them with their English names, which the lexicon does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

PAIRS = """
# ---- reliability, payments, data consistency
幂等|幂等性|幂等键|防重 = idempotency|idempotent|idempotence|idempotency key
重复扣款|扣两次|重复扣费|扣了两次 = double charge|charged twice|duplicate charge|double charging|double billing
重复支付 = duplicate payment|paid twice
重复请求|重复提交 = duplicate request|duplicate submission
重复消费|重复消息 = duplicate consumption|duplicate message|processed twice|consumed twice
去重 = deduplication|dedupe|dedup|deduplicate
重试|重发 = retry|retries|retried|retrying|resend
指数退避|退避 = exponential backoff|backoff
回调 = callback|webhook
对账 = reconciliation|reconcile
支付 = payment|payments
退款 = refund
订单 = orders|order system|order service|order table
库存|扣库存 = inventory|stock
超卖 = oversell|overselling|oversold
秒杀|抢购 = flash sale
分布式锁 = distributed lock
唯一索引|唯一约束 = unique index|unique constraint
分布式事务 = distributed transaction
最终一致性|最终一致 = eventual consistency|eventually consistent
一致性|数据不一致 = consistency|inconsistent|inconsistency|out of sync
强一致 = strong consistency
事务 = transaction
补偿|补偿机制 = compensation|compensating transaction
消息队列|队列 = message queue|queue
积压|消息积压 = backlog|message backlog
死信队列 = dead letter queue
顺序消息|消息顺序 = message ordering|out of order
消息丢失|丢消息 = message loss|lost messages|dropped messages
定时任务|定时调度 = scheduled job|cron job|cron|scheduler
任务调度 = job scheduling
重复执行|跑了两遍|执行两次 = ran twice|executed twice|double execution
# ---- caching, databases
缓存 = cache|caching|cached
缓存穿透 = cache penetration
缓存击穿 = cache breakdown|hot key expiry
缓存雪崩 = cache avalanche|cache stampede|thundering herd
缓存一致性 = cache consistency|stale cache
缓存预热|预热 = cache warming|warm up|warmup
命中率 = hit rate|hit ratio
热点|热点数据|热key = hot key|hotspot|hot spot
数据库 = database|db
慢查询|慢SQL|慢 SQL = slow query|slow sql
索引 = index|indexes|indices
全表扫描 = full table scan
执行计划 = query plan|execution plan|explain plan
分库分表|分片 = sharding|shard|partitioning
读写分离 = read write splitting|read replica|read replicas
主从复制|主从同步 = replication|primary replica|master slave
主从延迟|复制延迟 = replication lag
数据迁移|迁移|搬迁 = migration|migrate|migrated|migrating
不停服|不停机|零停机 = zero downtime|without downtime|no downtime
双写 = dual write|double write
表结构变更|改表|加字段|表结构 = schema change|schema migration|alter table|schema
死锁 = deadlock
连接池 = connection pool
连接数 = connections|connection count
数据丢失|丢数据 = data loss|lost data
备份 = backup
回滚 = rollback|roll back|rolled back|revert
数据修复|修数据 = data fix|backfill
# ---- performance
性能优化|优化性能|性能 = performance|optimization|optimize|optimise
延迟|时延|耗时 = latency|latencies
毛刺|抖动|尖刺 = spike|spikes|jitter
长尾延迟|长尾 = tail latency|p99
响应时间|响应慢 = response time|slow response
吞吐量|吞吐 = throughput
压测|压力测试 = load test|load testing|stress test|benchmark
瓶颈 = bottleneck
卡顿 = lag|stutter|jank|freeze
变慢|很慢|慢了 = slow|slowdown|slower
内存泄漏|内存泄露 = memory leak|leak
内存溢出|爆内存 = out of memory|oom
垃圾回收|GC停顿|停顿 = garbage collection|gc pause|pausing|stop the world
火焰图 = flame graph
性能分析|剖析 = profiling|profiler
线程池 = thread pool
线程 = thread
并发 = concurrency|concurrent
高并发 = high concurrency|high traffic
异步 = asynchronous|async
批量 = batch|batching
峰值|高峰|流量高峰 = peak|peak traffic|traffic spike
大促|双十一 = big sale|shopping festival|singles day
扩容 = scale out|scale up|scaling|add capacity
容量规划 = capacity planning
首屏|首屏加载 = first paint|first screen|initial load|first contentful paint
冷启动|启动速度 = cold start|startup time|app launch
包体积|包大小 = bundle size|app size|package size
懒加载 = lazy loading|lazy load
# ---- resilience, operations
限流 = rate limiting|rate limit|throttling|throttle
熔断|熔断器 = circuit breaker|circuit breaking
降级|服务降级 = graceful degradation|degrade|fallback
超时 = timeout|timed out|time out
依赖|下游|上游 = dependency|dependencies|downstream|upstream|depends on|depend on
雪崩|级联故障 = cascading failure|cascade
高可用 = high availability|highly available
容灾|灾备 = disaster recovery|failover
故障转移|主备切换 = failover|fail over
单点故障 = single point of failure
监控 = monitoring|monitor
告警|报警 = alert|alerting|alarm
值班|轮值 = on call|oncall|on call rotation
线上故障|故障|事故|宕机|挂了 = outage|incident|production incident|downtime|went down
线上问题 = production issue|production bug
排查|定位问题|查问题 = troubleshoot|troubleshooting|debug|debugging|investigate|root cause
根因|根本原因|根因分析 = root cause|root cause analysis
复盘|故障复盘|事故复盘 = postmortem|post mortem|retrospective|retro|lessons learned
应急预案|预案 = runbook|playbook|contingency plan
日志 = log|logs|logging
链路追踪|全链路追踪 = tracing|distributed tracing
可观测性 = observability
稳定性 = stability|reliability
可靠性 = reliability
服务等级|可用率 = sla|slo|uptime
灰度|灰度发布|金丝雀 = canary|canary release|gradual rollout|staged rollout
蓝绿部署 = blue green deployment
发布|上线 = release|launch|ship|shipped|rollout|deploy to production
部署 = deployment|deploy|deploying
持续集成|流水线 = ci|continuous integration|pipeline|ci/cd
持续交付|持续部署 = continuous delivery|continuous deployment
功能开关|特性开关|开关 = feature flag|feature toggle|kill switch
配置 = configuration|config
证书过期|过期 = expired|expiry|expiration|certificate expiry
证书 = certificate|cert|tls certificate
时钟|时间不同步|时钟漂移 = clock|clock skew|clock drift|ntp|time sync
容器 = container|containers
容器化 = containerization|containerize
集群 = cluster
机房|数据中心 = data center|datacenter
上云|迁移上云 = cloud migration|move to the cloud|migrate to the cloud
成本|降本|省钱 = cost|cost reduction|cut costs|saving
资源利用率|利用率 = utilization|resource utilization
僵尸机器|闲置机器|闲置资源 = idle machines|zombie servers|unused servers|orphaned resources
下线|老服务下线 = decommission|sunset|deprecate|shut down|retire
旧接口|老接口 = legacy api|old api|deprecated api
遗留系统|老系统 = legacy system|legacy code
重构 = refactor|refactoring|rewrite
技术债|技术债务 = tech debt|technical debt
代码评审|代码审查 = code review|review
单元测试 = unit test|unit tests
集成测试 = integration test
自动化测试|自动化 = test automation|automated tests|automation
测试覆盖率|覆盖率 = test coverage|coverage
不稳定的测试|偶现失败|时好时坏 = flaky test|flaky|intermittent failure
偶现|偶发 = intermittent|sporadic|sometimes
回归 = regression
兼容性|适配 = compatibility
崩溃|闪退 = crash|crashes|crashed
机型|特定机型 = device model|specific devices|certain phones
安卓 = android
前端 = frontend|front end
后端 = backend|back end
客户端 = client|app
接口 = api|interface|endpoint
网关 = gateway|api gateway
微服务 = microservice|microservices
单体 = monolith
服务拆分|拆服务 = service decomposition|split the monolith|break up the monolith
架构 = architecture
系统设计 = system design
# ---- security, privacy
安全 = security|secure
漏洞 = vulnerability|vulnerabilities|cve|security hole
依赖漏洞|第三方库漏洞 = dependency vulnerability|vulnerable dependencies|dependabot alerts
越权 = idor|broken access control|privilege escalation|unauthorized access
权限|权限控制 = permission|permissions|access control|authorization
鉴权|认证 = authentication|auth
登录 = login|log in|session
掉登录|被登出|登录失效 = logged out|log out|session expired
密钥|秘钥|密钥泄露 = secret|secrets|api key|leaked key|credentials
加密 = encryption|encrypt|encrypted
脱敏 = masking|anonymization|redaction
隐私 = privacy
合规 = compliance|regulatory|regulator
审计 = audit|auditor
多租户|租户隔离 = multi tenancy|multi tenant|tenant isolation
数据隔离 = data isolation
注入|SQL注入 = injection|sql injection
跨站脚本 = xss|cross site scripting
风控|反欺诈 = risk control|fraud detection|anti fraud
急停|紧急停止 = emergency stop|e stop|kill switch
# ---- data, ML
数据管道|数据链路 = data pipeline
数据质量 = data quality
上游改动|上游变更 = upstream change|schema drift
埋点 = event tracking|instrumentation|tracking events
指标 = metric|metrics|kpi
看板|仪表盘 = dashboard
报表 = report|reporting
模型 = model
特征|特征工程 = ml feature|feature engineering|input features
功能|新功能 = feature|new feature|feature work
特征穿越|数据泄露|标签泄露|未来信息 = data leakage|target leakage|label leakage|leakage|future information
训练 = training|train
线上线下不一致|离线在线不一致 = training serving skew|train serve skew|offline online gap|online offline gap
离线指标|离线评估 = offline metrics|offline evaluation
线上效果 = online performance|online results
过拟合 = overfitting|overfit
样本|样本不均衡 = samples|class imbalance|imbalanced
标注 = labeling|labelling|annotation|labels
推荐|推荐系统 = recommendation|recommender|recommender system
召回|召回率 = recall
准确率 = accuracy|precision
点击率 = click through rate|ctr
转化率 = conversion rate|conversion
留存 = retention
A/B实验|AB实验|实验|AB测试 = a/b test|ab test|experiment|a/b testing|split test
显著性|显著 = statistical significance|significant|p value
对照组 = control group
实验组 = treatment group
大模型|大语言模型 = llm|large language model
提示词 = prompt|prompts
检索增强 = rag|retrieval augmented generation
向量检索 = vector search|embedding search
搜索 = search
数据分析 = data analysis|analytics
# ---- people, leadership, behavioural
带新人|带人|带过新人|新人培养|带教 = mentoring|mentor|mentored|onboarding new hires|coaching
导师|师傅 = mentor|buddy
新人|新同学|新同事|新员工 = new hire|new hires|newcomer|new joiner|new engineer
应届生|校招生|毕业生 = new grad|new grads|new graduate|graduate|fresh graduate
实习生 = intern|interns|internship
初级|新手 = junior|beginner
资深|高级 = senior
一对一|1对1|1on1 = one on one|1:1|1on1
成长|成长计划 = growth|development plan|grow
晋升|升职|升级 = promotion|promoted|promote
独立负责|独当一面|能独立 = ownership|independently|work independently|on their own
反馈|给反馈 = feedback
不好听的话|难以启齿|直接指出 = hard conversation|difficult conversation|uncomfortable|tough feedback
绩效 = performance review|performance management|appraisal
绩效改进|绩效差|低绩效 = underperformer|underperforming|performance improvement plan|pip
绩效制度|考核制度 = performance system|review process|evaluation system
辞退|开除 = fire|let go|dismiss
招聘|招人 = hiring|recruiting|recruitment|hire
面试 = interview|interviewing
团队管理|管理团队 = team management|managing a team|people management
临时负责|代理负责人|代理组长|临时带队 = acting lead|interim lead|temporarily in charge|stepped in as lead
负责人|组长|leader = lead|team lead|leader|owner
带团队|带领团队 = led a team|lead a team|leading a team
领导力 = leadership
主导|牵头 = led|lead|drove|spearheaded
推动|推进 = drive|drove|push|pushed|championed
影响力|说服 = influence|persuade|convince|convinced
跨部门|跨团队|跨组 = cross team|cross functional|cross department|other teams|across teams
协作|合作 = collaboration|collaborate|cooperation
合作方|第三方 = partner|partners|third party
沟通 = communication|communicate
对齐 = alignment|align
冲突|分歧|意见不合|意见不一致 = conflict|disagreement|disagree|pushback|pushed back|push back|push back on
产品经理 = product manager|pm
需求 = requirement|requirements|feature request
需求变更|改需求 = scope change|changing requirements
砍需求|砍范围|缩减范围 = cut scope|scope cut|descoped|descope
优先级 = priority|priorities|prioritize|prioritization
排期|工期|估时|估工期 = estimate|estimation|timeline|schedule
延期|延误|拖期|来不及 = delay|delayed|late|slip|behind schedule|missed the deadline
截止日期|截止时间|死线 = deadline
项目管理 = project management
干系人|利益相关方|相关方 = stakeholder|stakeholders
用户调研|用户访谈 = user research|user interview
真实需求|用户真正需要 = what users actually needed|real need|actual need
非技术|不懂技术|业务方 = non technical|non-technical|business side|layperson
解释|讲清楚|讲明白 = explain|explained|explaining
类比|打比方|比喻 = analogy|analogies|metaphor
推广|落地|用起来 = adoption|adopt|roll out|rollout
一线|一线员工 = frontline|front line staff|frontline workers
医生|护士 = doctor|doctors|nurse|nurses
司机 = driver|drivers
培训 = training|train
文档 = documentation|docs|document
知识分享|分享会 = knowledge sharing|tech talk
远程|异地|跨时区 = remote|remote team|distributed team|time zones
压力|抗压 = pressure|stress
加班 = overtime|crunch
倦怠|累垮 = burnout|burned out
犯错|错误|失误 = mistake|error|made a mistake
失败 = failure|failed|fail
教训 = lesson|lessons learned
承担责任|背锅 = take responsibility|ownership|accountability
主动 = proactive|initiative|took the initiative
学习|自学|学会 = learn|learned|self taught|picked up
新技术 = new technology|new tech|new stack
转行|转岗 = career change|switched careers|transition
决策|拍板 = decision|decide|decided|made the call
权衡|取舍 = trade off|tradeoff|trade-off
数据驱动 = data driven
目标|OKR = goal|goals|objective|okr
效率|提效 = efficiency|productivity
流程 = process|workflow
客诉|投诉 = complaint|complaints|customer complaint
用户体验 = user experience|ux
运营 = operations|ops
交接|接手 = handover|hand over|took over|inherited
清理|清掉 = clean up|cleanup|cleared|clear out
开源 = open source
学习曲线 = learning curve
"""

_EN_ENDING = r"(?:s|es|d|ed|ing|er|ers)?"


@dataclass(frozen=True)
class Concept:
    zh: tuple[str, ...]
    en: tuple[str, ...]


def _parse(text: str) -> tuple[Concept, ...]:
    concepts = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        zh, en = (tuple(v.strip() for v in side.split("|") if v.strip()) for side in line.split(" = "))
        concepts.append(Concept(zh, tuple(e.lower() for e in en)))
    return tuple(concepts)


def _english(term: str) -> str:
    words = [re.escape(w) for w in re.split(r"[\s-]+", term) if w]
    return r"(?<![\w/])" + r"[\s-]+".join(words) + _EN_ENDING + r"(?![\w/])"


@lru_cache(maxsize=1)
def _matchers() -> tuple[tuple[re.Pattern[str], re.Pattern[str], Concept], ...]:
    """One pattern per side of each concept, longest variants first (a longer term wins its span)."""
    out = []
    for c in _parse(PAIRS):
        zh = re.compile("|".join(re.escape(z) for z in sorted(c.zh, key=len, reverse=True)), re.I)
        en = re.compile("|".join(_english(e) for e in sorted(c.en, key=len, reverse=True)), re.I)
        out.append((zh, en, c))
    return tuple(out)


def translate(question: str) -> list[str]:
    """The glossary's names, in the other language, of the terms the question uses: a Mandarin term gives
    its English name, an English one its Mandarin name; in the order they are asked, each once, none the
    question already says. A longer term takes its span from the shorter ones inside it ("performance
    review" is 绩效, not also 代码评审)."""
    hits = []
    for zh, en, concept in _matchers():
        for pattern, other in ((zh, concept.en[0]), (en, concept.zh[0])):
            hits += [(m.start(), m.end(), other) for m in pattern.finditer(question)]
    taken: list[tuple[int, int, str]] = []
    for start, end, other in sorted(hits, key=lambda h: (h[0] - h[1], h[0])):
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, other))
    lowered = question.lower()
    return list(dict.fromkeys(o for _, _, o in sorted(taken) if o.lower() not in lowered))
