"""What notifications ask of the apps above them: notifications may not import them (they stand on
it), so each registers its step from its AppConfig.ready() (see services_portal.core.hooks).
"""

from __future__ import annotations

import datetime

from services_portal.core.hooks import Hook

# Which of these people (citizen ids) used the portal on the web or the app since the moment: each
# step answers a set of ids (`collect`). The recommender's interaction log knows; with a sign-in
# since then, it is what makes a person reachable in the inbox (services.routing).
used_online_since: Hook[[set[int], datetime.datetime]] = Hook("used_online_since")
