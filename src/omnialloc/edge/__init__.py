"""What every outbound HTTP adapter shares: safe clients, failure classification, secret scrubbing.

Shop pushes (``channels.push``), carrier booking (``logistics.booking``) and
outbound webhooks (``webhooks``) all talk to someone else's server. They agree
here on what a reply means (delivered, try again after N seconds, or give up),
on explicit timeouts, on never following redirects (a redirect would carry
credentials to another host), and on keeping secrets out of logs and error text.
"""

from omnialloc.edge.http import (Reply, Timeouts, check_base_url, error_text, make_client, parse_retry_after,
                                 send)
from omnialloc.edge.secrets import Redactor

__all__ = ["Redactor", "Reply", "Timeouts", "check_base_url", "error_text", "make_client", "parse_retry_after",
           "send"]
