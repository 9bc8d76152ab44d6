"""The admin UI's pages, one module per task of the issue; each adds its routes to the blueprint."""
from . import (
    bulk,
    central,
    delegation,
    grants,
    helpdesk,
    history,
    home,
    people,
    relations,
    report,
    requests,
    reviews,
    signin,
)

REGISTRARS = [signin.register, home.register, people.register, relations.register,
              grants.register, bulk.register, delegation.register, central.register,
              helpdesk.register, history.register, requests.register, reviews.register,
              report.register]
