"""Typed errors of the colorization engine.

Every error carries a ``user_message``: one friendly sentence a person can read on a web
page or in a terminal, never a traceback. ``str(error)`` may add technical detail for logs.
"""

import re


class ColorizeError(Exception):
    user_message = "Something went wrong while colorizing this photo."

    @property
    def code(self) -> str:
        """A stable name for logs and metrics: the class's, in snake case (``not_an_image``)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    def __init__(self, detail: str | None = None, *, user_message: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(detail or self.user_message)


class NotAnImage(ColorizeError):
    user_message = "This file is not an image. Please choose a photo (JPEG, PNG, WebP, TIFF, BMP or GIF)."


class UnsupportedImage(ColorizeError):
    user_message = "This kind of image is not supported. Please use a JPEG, PNG, WebP, TIFF, BMP or GIF photo."


class ImageTooLarge(ColorizeError):
    user_message = "This photo is too large. Please use a smaller one."


class CorruptImage(ColorizeError):
    user_message = "This image file is damaged or incomplete, so it cannot be read."


class ModelNotInstalled(ColorizeError):
    user_message = "The colorization model is not installed."


class ModelFailed(ColorizeError):
    user_message = "The colorization model failed on this photo. Please try again or choose another model."


class NotAWeightFile(ColorizeError):
    user_message = "This file is not a model weight file, so it cannot be used."


class UnsafeWeightFile(ColorizeError):
    user_message = "This weight file contains code, not only weights, so it was refused for safety."


class WrongLayout(ColorizeError):
    user_message = "This weight file does not belong to the chosen model."


class BadHints(ColorizeError):
    user_message = "The colour points could not be read."
