from .agent import node_name
from .navigation import MAIL_SERVER_PAGES


def panel(request):
    return {"node_name": node_name(), "mail_server_pages": MAIL_SERVER_PAGES}
