"""Charts for every analysis: matplotlib/seaborn functions that take ``ax=None`` and return it.

One module per analysis; labels and number formats follow the ``lang`` argument (fr/en).
"""
