"""Processing fees for excessive requests (条例 Art. 42; 国办函〔2020〕109号 《政府信息公开信息处理费管理办法》).

Two bases, never both on one application. Per item (按件): applications of one applicant in one
calendar month, progressive: the first 10 free, the 11th–30th 100 元 each, then each further band
of 10 costs 100 元 more per item (31st–40th 200 元, 41st–50th 300 元, …). Per page (按量), within
one application, progressive: pages 1–30 free, 31–100 10 元, 101–200 20 元, above 200 40 元.

>>> fee_per_item(10), fee_per_item(11), fee_per_item(30), fee_per_item(31), fee_per_item(45)
(0, 100, 100, 200, 300)
>>> fee_per_pages(30), fee_per_pages(31), fee_per_pages(100), fee_per_pages(150), fee_per_pages(250)
(0, 10, 700, 1700, 4700)
"""

from __future__ import annotations

__all__ = ["FREE_ITEMS_PER_MONTH", "FREE_PAGES", "fee_per_item", "fee_per_pages"]

FREE_ITEMS_PER_MONTH = 10
FREE_PAGES = 30
#: (last page of the band, 元 per page in it); the last band is open-ended.
_PAGE_BANDS = ((30, 0), (100, 10), (200, 20))
_PAGE_ABOVE = 40


def fee_per_item(ordinal: int) -> int:
    """The fee in 元 for an applicant's ``ordinal``-th application in one calendar month."""
    if ordinal < 1:
        raise ValueError("the ordinal counts from 1")
    if ordinal <= FREE_ITEMS_PER_MONTH:
        return 0
    if ordinal <= 30:
        return 100
    return 100 * (2 + (ordinal - 31) // 10)


def fee_per_pages(pages: int) -> int:
    """The fee in 元 for one application of ``pages`` pages, each band at its own rate."""
    if pages < 0:
        raise ValueError("pages cannot be negative")
    total, floor = 0, 0
    for ceiling, rate in _PAGE_BANDS:
        total += max(0, min(pages, ceiling) - floor) * rate
        floor = ceiling
    return total + max(0, pages - floor) * _PAGE_ABOVE
