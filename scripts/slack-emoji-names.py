#!/usr/bin/env python3
"""Writes src/providers/slack/emoji_names.tsv, the standard emoji names Slack uses, from
iamcal's emoji-data (the data Slack's emoji names come from), as published on npm.

    cd "$(mktemp -d)" && npm pack emoji-datasource@16.0.0 && tar xzf emoji-datasource-16.0.0.tgz
    python3 scripts/slack-emoji-names.py package/emoji.json > src/providers/slack/emoji_names.tsv

One line per emoji: the code points of its fully qualified form (hex, `-` between), a tab, and
its Slack names (the first is the one Slack returns), comma-separated.
"""

import json
import sys


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data.sort(key=lambda e: e["sort_order"])
    print("# Slack's standard emoji names, from emoji-datasource 16.0.0 (MIT, github.com/iamcal/emoji-data);")
    print("# regenerate with scripts/slack-emoji-names.py. code points<TAB>names (first = Slack's own)")
    for e in data:
        if e["short_name"].startswith("skin-tone-"):
            continue
        names = [e["short_name"]] + [n for n in e["short_names"] if n != e["short_name"]]
        print(f"{e['unified'].upper()}\t{','.join(names)}")


if __name__ == "__main__":
    main(sys.argv[1])
