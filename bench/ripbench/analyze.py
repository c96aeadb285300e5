"""What a stretch of terminal output is made of: text versus escape sequences, by kind."""

import re
from collections import Counter

CSI = re.compile(rb"\x1b\[([0-?]*)[ -/]*([@-~])")
OTHER_ESC = re.compile(rb"\x1b[^\[]")


def classify(params, final):
    p, f = params.decode(errors="replace"), chr(final[0])
    if f == "m":
        return "SGR (colour/style) ESC[...m"
    if f in "Hf":
        return "cursor position ESC[r;cH"
    if p.startswith("?"):
        return f"mode ESC[{p}{f}"
    if f in "JK":
        return f"erase ESC[{p}{f}"
    return f"other CSI ...{f}"


def summarize(chunks, seconds=None):
    if chunks is None:
        return None
    data = b"".join(chunks)
    kinds, kind_bytes = Counter(), Counter()
    esc_bytes = 0
    for m in CSI.finditer(data):
        k = classify(m.group(1), m.group(2))
        kinds[k] += 1
        kind_bytes[k] += len(m.group(0))
        esc_bytes += len(m.group(0))
    for m in OTHER_ESC.finditer(data):
        kinds["other ESC"] += 1
        kind_bytes["other ESC"] += len(m.group(0))
        esc_bytes += len(m.group(0))
    out = {
        "bytes": len(data),
        "reads": len(chunks),
        "escape_bytes": esc_bytes,
        "text_bytes": len(data) - esc_bytes,
        "sequences": {k: {"count": kinds[k], "bytes": kind_bytes[k]} for k, _ in kind_bytes.most_common(8)},
        "sample": data[:240].decode("utf-8", errors="replace"),
    }
    if seconds:
        out["bytes_per_s"] = round(len(data) / seconds, 1)
        out["reads_per_s"] = round(len(chunks) / seconds, 2)
    return out
