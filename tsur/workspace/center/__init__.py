"""The situation center's pages inside the workspace: dashboards and KPIs (dashboards.py), points
of tension (tension.py), the map (map.py), exports and the weekly report (reports.py), the
governor's front page (front.py). Figures come from tsur.analytics and tsur.tension; every list
of appeals goes through appeals.access."""
