"""Fits any captured picture to the reel's frame: centre crop to its aspect, then scale."""

from __future__ import annotations

import cv2
import numpy as np


def conform(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Centre-crop `image` to width:height and resize; returns `image` itself if it fits."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    target = width / height
    if w / h > target:  # too wide: a landscape webcam for a vertical reel
        crop_w = round(h * target)
        x = (w - crop_w) // 2
        image = image[:, x : x + crop_w]
    elif w / h < target:
        crop_h = round(w / target)
        y = (h - crop_h) // 2
        image = image[y : y + crop_h]
    interp = cv2.INTER_AREA if image.shape[1] > width else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)
