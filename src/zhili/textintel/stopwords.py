"""Chinese function words dropped before classification.

Labelled histories are often exported segmented *with stop words removed*, while intake text is
raw; dropping the same function words from both sides makes them comparable. Hand-written from
the common function-word classes (pronouns, particles, conjunctions, prepositions, auxiliaries,
adverbs of degree/time/negation, interrogatives); content words stay.
"""

from __future__ import annotations

_STOPWORD_TEXT = """
的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 哈 嘛 么 呗 啦 哟 之 所 以 而 且 并 或 及 与 和 跟 同 共
我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己 本人 大家 人家 别人 有人 其 其他 其它 其中 其余
这 那 哪 这个 那个 哪个 这些 那些 哪些 这里 那里 哪里 这儿 那儿 这样 那样 怎样 这么 那么 怎么 怎么样 如何
什么 为什么 为何 多少 几 谁 啥 咋
是 不是 就是 还是 只是 也是 都是 正是 便是 即是 算是 总是 但是 可是 于是 要是 若是 或是 而是
在 于 从 自 自从 向 往 朝 对 对于 关于 至于 把 被 让 叫 给 为 为了 因 因为 由于 所以 因此 因而 由 按 按照 依照 根据 通过 经过 随着
但 但是 然而 而且 并且 不但 不仅 虽然 虽 尽管 即使 即便 如果 假如 若 只要 只有 除了 除非 无论 不管 既然 然后 接着 以及 或者 还有 另外 此外 甚至 况且 何况
也 都 就 才 又 再 还 已 已经 曾 曾经 正 正在 将 将要 会 能 能够 可 可以 可能 应 应该 应当 要 需要 需 得以 必须 一定 肯定 当然 确实 的确 其实 实在
很 太 更 最 非常 十分 特别 极 极其 比较 稍 稍微 有点 有些 一些 一点 一直 一起 一般 一样 一下 一边 一切 有的 有关 相关
不 没 没有 别 不要 不用 不会 不能 无 非 未 莫 勿 否
这是 那是 有 没 个 些 种 样 次 点 方面 时候 时 后 前 中 上 下 里 内 外 以上 以下 以后 以前 之后 之前 当中 期间 之间
而言 来说 来讲 的话 等 等等 之类 啊呀 嗯 唉 喂 哎 哎呀
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())
