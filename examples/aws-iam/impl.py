from sym.sdk.annotations import reducer
from sym.sdk.integrations import slack


@reducer
def get_approvers(event):
    """Route every request to #sym-requests; requesters may not approve themselves."""
    return slack.channel("#sym-requests", allow_self=False)
