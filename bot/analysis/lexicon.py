"""The built-in technical lexicon: canonical terms the corrector may restore and the keyword finder bolds.

Chinese terms are matched by pinyin (so homophone ASR errors are found by sound, not by a list of known
misspellings); English terms by case-insensitive spelling. Teams add their own hotwords on top.
"""

from __future__ import annotations

ZH_TERMS: tuple[str, ...] = (
    # distributed systems and back end
    "幂等性", "幂等键", "幂等", "线程池", "线程", "线程数", "核心线程数", "进程", "协程", "队列", "消息队列", "削峰", "填谷", "限流", "降级",
    "熔断", "分库分表", "分布式锁", "分布式事务", "一致性", "最终一致性", "强一致性", "高可用", "高并发",
    "负载均衡", "微服务", "单体服务", "服务治理", "注册中心", "缓存", "缓存穿透", "缓存击穿", "缓存雪崩",
    "索引", "主键", "联合索引", "慢查询", "事务", "死锁", "乐观锁", "悲观锁", "读写分离", "主从复制",
    "压测", "吞吐量", "延迟", "并发", "异步", "回滚", "灰度发布", "容器", "容器化", "部署", "监控", "告警",
    "链路追踪", "日志", "接口", "网关", "序列化", "反序列化", "哈希", "一致性哈希", "布隆过滤器",
    "订单", "支付", "库存", "秒杀", "数据库", "中间件", "架构", "重构", "扩容", "缩容", "分片",
    # front end
    "组件", "渲染", "虚拟列表", "首屏", "打包", "状态管理", "响应式", "跨域",
    # data / algorithms
    "特征工程", "召回", "排序模型", "过拟合", "欠拟合", "梯度", "损失函数", "推荐系统", "数据仓库", "实时计算",
    "离线计算", "埋点", "指标", "漏斗", "留存",
    # people / product
    "需求评审", "复盘", "绩效", "招聘", "转化率", "用户调研", "路线图",
    # words the competency rules hinge on: a misheard 主导 (住到) loses a leadership claim
    "主导", "上线", "落地", "带领", "推动",
)

EN_TERMS: tuple[str, ...] = (
    "Redis", "Kafka", "RocketMQ", "RabbitMQ", "MySQL", "PostgreSQL", "MongoDB", "Elasticsearch", "ClickHouse",
    "HBase", "Hive", "Spark", "Flink", "Hadoop", "Kubernetes", "K8s", "Docker", "Nginx", "gRPC", "HTTP", "TCP",
    "REST", "GraphQL", "Spring", "SpringBoot", "SpringCloud", "Dubbo", "Netty", "JVM", "GC", "Java", "Go", "Golang",
    "Python", "Rust", "C++", "TypeScript", "JavaScript", "React", "Vue", "Webpack", "Vite", "Node.js", "SQL",
    "NoSQL", "QPS", "TPS", "RT", "P99", "SLA", "CDN", "DNS", "CI/CD", "AWS", "Linux", "ZooKeeper", "etcd",
    "Prometheus", "Grafana", "TensorFlow", "PyTorch", "XGBoost", "A/B", "OKR", "KPI", "LLM",
)

# Terms that are also everyday words: corrected towards only when the sentence is already technical.
NEEDS_CONTEXT: frozenset[str] = frozenset({
    "订单", "支付", "接口", "延迟", "指标", "日志", "部署", "容器", "组件", "事务", "线程", "进程", "队列", "缓存",
    "索引", "监控", "架构", "重构", "库存", "复盘", "绩效", "招聘", "幂等",
    "主导", "上线", "落地", "带领", "推动",
})

# Everyday verbs restored only when a technical term stands in the same clause ("我住到了订单系统的重构"
# -> 主导; "我住到了公司附近" stays).
SAME_CLAUSE: frozenset[str] = frozenset({"主导", "上线", "落地", "带领", "推动"})
