import logging

from asgiref.sync import sync_to_async
from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger("shop.views")


def crash(request):
    basket = {"items": 3, "voucher_token": "hidden"}
    logger.info("opening basket for %s", request.user)
    raise ZeroDivisionError(f"basket total / {basket['items'] - 3}")


def logged(request):
    logger.warning("slow basket for %s", request.user.get_username())
    logger.error("could not price basket %s", 17)
    return HttpResponse("ok")


def user_never_loaded(request):
    # request.user is never touched: reporting must not load it (a session and database lookup).
    logger.error("failed before anyone looked at the user")
    return HttpResponse("ok")


async def async_crash(request):
    user = await sync_to_async(lambda: str(request.user))()  # request.auser() needs Django 5
    logger.info("async basket for %s", user)
    raise LookupError(f"no basket for {user}")


urlpatterns = [
    path("crash/", crash),
    path("logged/", logged),
    path("async-crash/", async_crash),
    path("user-never-loaded/", user_never_loaded),
]
