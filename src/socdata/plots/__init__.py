"""Figures: swimmer plots (``swimmer``), love plots (``love``), event-study plots
(``event_study``).  Every function takes aggregates or a validated extract and returns a
matplotlib Figure; none writes files (``socdata.report`` does).

Examples
--------
>>> import pandas as pd
>>> from socdata import matching
>>> from socdata.plots.love import love_plot
>>> people = pd.DataFrame({"engaged": [1, 1, 0, 0, 0], "age": [14, 16, 13, 15, 17]})
>>> fig = love_plot(matching.match(people, treatment="engaged", covariates=["age"]))
>>> type(fig).__name__
'Figure'
"""
