"""Logging that keeps what users send out of the logs above DEBUG.

An exception's message can quote its input (a URL, a line of text, a feed address), so
unexpected errors are logged at ERROR with their type and traceback only (the traceback
shows code, not values); the message itself goes to DEBUG.
"""

from __future__ import annotations

import logging
import traceback


def log_failure(logger: logging.Logger, message: str, *args: object, error: BaseException | None) -> None:
    if error is None:
        logger.error(message, *args)
        return
    trace = "".join(traceback.format_tb(error.__traceback__)).rstrip()
    logger.error(f"{message}: %s\n%s", *args, type(error).__name__, trace)
    logger.debug("the error in full", exc_info=error)
