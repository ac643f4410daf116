"""The replay site's builder, one module per outlet (run it with scripts/build_replay.py).

common.py   helpers, MANIFEST items, the in-memory site, the archived posts of labels/extraction_dev.jsonl
zaobao.py   RSSHub feeds and zaobao.com.sg pages        bbc.py      the BBC feed and pages around real <main> captures
voa.py      the VOA feed and Pangea pages               un_news.py  the UN News feed and pages (all synthetic)
faults.py   broken feeds and pages under faults.test

Each outlet module's docstring says which of what it writes is real captured material and which is synthetic.
"""


