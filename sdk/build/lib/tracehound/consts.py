"""Version and the limits that bound the work done on the caller's thread."""

VERSION = "0.1.0"
SDK_NAME = "tracehound"
USER_AGENT = "tracehound/" + VERSION

# Local variables and other captured values are stored as capped, JSON-ready copies.
MAX_STRING_LENGTH = 512  # characters kept of any string or repr
MAX_DEPTH = 4  # nesting levels kept of containers
MAX_BREADTH = 20  # items kept per container
MAX_VARS_PER_FRAME = 40  # local variables kept per frame
MAX_FRAMES = 50  # frames kept per exception (first and last halves)
MAX_CHAIN = 10  # exceptions kept from a __cause__/__context__ chain
MAX_MESSAGE_LENGTH = 8192
CONTEXT_LINES = 5
MAX_CONTEXT_LINE_LENGTH = 200

SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "api_key",
    "apikey",
    "auth",
    "credentials",
    "token",
    "session",
    "csrf",
    "private_key",
    "cookie",
    "authorization",
)
FILTERED = "[Filtered]"
