"""Which outlet a post comes from: one stable key per outlet, whatever name a news archive gives it.

Archives name outlets their own way (联合早报, (臺)中央社CNA, 经济学人en) in the front-matter author, tags and
categories or in the per-outlet folder; live ingestion knows only the URL. Both resolve to the same key here, so an
archived item and a polled one land in the same row. Outlets with a dedicated parser declare their names and hosts
on the parser class; the rest are listed below and read by the generic parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .urls import host_of


@dataclass(frozen=True)
class Outlet:
    key: str
    name: str
    archive_names: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()  # a host matches itself and its subdomains
    zone: str = "UTC"  # the zone of dates the outlet writes without an offset
    # the outlet's own article id in its URLs (a pattern with a group "id"): the article's dedup key, so that a
    # retitled article, whose URL slug changed, is a revision of the stored one and not a second article
    article_id: str = ""

    def __post_init__(self):
        if self.article_id and "id" not in re.compile(self.article_id).groupindex:
            raise ValueError(f"the outlet {self.key!r}: its article_id pattern has no group named id")


# one outlet a line (the noqa: E501 rows are under 120 characters; ruff counts a Chinese character as two columns)
GENERIC_OUTLETS = (
    # cna.com.tw/news/<section>/202101210298.aspx: one article is listed under its section and again, later and
    # often expanded, under firstnews (top news), with one id
    Outlet("cna", "中央社 CNA", ("(臺)中央社CNA", "中央社CNA", "中央社"), ("cna.com.tw",), "Asia/Taipei", r"/news/[a-z]+/(?P<id>\d{12})\.aspx"),  # noqa: E501
    Outlet("rfi", "法广 RFI 中文", ("法广", "法廣", "RFI"), ("rfi.fr",), "Europe/Paris"),
    # cn.reuters.com/article/<slug from the title>-idCNKBS28509L, or /article/idCNKBS28509L
    Outlet("reuters", "路透中文网", ("路透", "路透社", "Reuters"), ("reuters.com",), "Asia/Shanghai", r"[-/]id(?P<id>[A-Z]{2}[A-Z0-9]{8,})\b"),  # noqa: E501
    Outlet("epochtimes", "大纪元", ("大纪元", "大紀元"), ("epochtimes.com",), "US/Eastern"),
    # dw.com/zh/<slug from the title>/a-54923091; a "?" in the title cuts the slug, leaving %2Fa-54923091 in the query
    Outlet("dw", "德国之声 DW 中文", ("德国之声", "德國之聲", "DW"), ("dw.com",), "Europe/Berlin", r"(?:/|%2[Ff])a-(?P<id>\d{6,})(?=$|[=&?#])"),  # noqa: E501
    Outlet("rfa", "自由亚洲电台", ("自由亚洲电台", "自由亞洲電台", "RFA"), ("rfa.org",), "US/Eastern"),
    Outlet("rti", "中央廣播電臺 RTI", ("RTI 中央廣播電臺", "中央廣播電臺", "RTI"), ("rti.org.tw",), "Asia/Taipei"),
    Outlet("solidot", "Solidot", ("Solidot",), ("solidot.org",), "Asia/Shanghai"),
    Outlet("economist", "The Economist", ("经济学人en", "经济学人", "The Economist"), ("economist.com",), "Europe/London"),  # noqa: E501
    Outlet("neist", "Nei.st", ("Nei.st",), ("nei.st",), "UTC"),
    Outlet("cdt", "中国数字时代", ("中国数字时代", "中國數字時代", "China Digital Times"), ("chinadigitaltimes.net",), "US/Pacific"),  # noqa: E501
    Outlet("nytimes", "纽约时报中文网", ("纽约时报", "紐約時報"), ("cn.nytimes.com", "cn.nytstyle.com"), "Asia/Shanghai"),  # noqa: E501
    Outlet("wqw", "维权网", ("维权网", "維權網"), ("wqw2010.blogspot.com",), "Asia/Shanghai"),
    Outlet("ft", "FT中文网", ("金融时报", "金融時報", "FT中文网"), ("ft.com", "ftchinese.com"), "Asia/Shanghai"),
    Outlet("cctv", "CCTV 新闻联播", ("CCTV新闻联播", "新闻联播"), ("govopendata.com",), "Asia/Shanghai"),
    Outlet("bitterwinter", "寒冬 Bitter Winter", ("寒冬", "Bitter Winter"), ("bitterwinter.org",), "Europe/Rome"),
    Outlet("initium", "端傳媒", ("端傳媒", "端传媒"), ("theinitium.com",), "Asia/Hong_Kong"),
    Outlet("standnews", "立場新聞", ("立場新聞", "立场新闻"), ("thestandnews.com",), "Asia/Hong_Kong"),
)

_SLUG = re.compile(r"[^a-z0-9]+")


class OutletIndex:
    """Outlet lookup by archive name and by host."""

    def __init__(self, outlets: list[Outlet]):
        self.outlets: dict[str, Outlet] = {}
        self._by_name: dict[str, str] = {}
        self._by_host: dict[str, str] = {}
        self.add(outlets)

    def add(self, outlets: list[Outlet]) -> None:
        for outlet in outlets:
            if outlet.key in self.outlets:
                raise ValueError(f"the outlet {outlet.key!r} is declared twice")
            self.outlets[outlet.key] = outlet
            self._by_name.update({name.casefold(): outlet.key for name in (outlet.key, *outlet.archive_names)})
            self._by_host.update({host: outlet.key for host in outlet.hosts})

    def by_name(self, name: str) -> str | None:
        return self._by_name.get(name.strip().strip('"').casefold()) if name else None

    def by_host(self, url: str) -> str | None:
        host = host_of(url).removeprefix("www.")
        while host:
            if host in self._by_host:
                return self._by_host[host]
            host = host.partition(".")[2]
        return None

    def detect(self, *, author: str = "", url: str = "", labels: tuple[str, ...] = (), folder: str = "") -> str:
        """The outlet key: a known author name, else the URL's host, else a known tag or category, else the
        per-outlet folder; an outlet nobody knows gets a key made from its host (or folder)."""
        found = self.by_name(author) or self.by_host(url)
        for label in labels:
            found = found or self.by_name(label)
        found = found or self.by_name(folder)
        if found:
            return found
        host = host_of(url).removeprefix("www.")
        return _SLUG.sub("-", (host or folder or "unknown").casefold()).strip("-") or "unknown"


OUTLETS = OutletIndex(list(GENERIC_OUTLETS))  # dedicated parsers add their outlets as they register
