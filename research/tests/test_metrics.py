"""The loud-wrong measure (issue #25): a confident colour far from the truth's."""

import numpy as np

from research.training.metrics import loud_wrong_share


def solid(rgb, size=(8, 8)):
    return np.full((*size, 3), rgb, np.uint8)


def test_the_truth_itself_has_no_loud_wrong_pixel():
    photo = solid((180, 60, 40))
    assert loud_wrong_share(photo, photo) == 0.0


def test_a_strong_colour_where_the_truth_is_grey_is_loud_and_wrong():
    assert loud_wrong_share(solid((220, 40, 40)), solid((128, 128, 128))) == 1.0


def test_a_muted_wrong_colour_is_not_loud():
    assert loud_wrong_share(solid((140, 125, 120)), solid((60, 120, 200))) == 0.0


def test_a_strong_colour_near_the_truth_is_not_wrong():
    assert loud_wrong_share(solid((200, 60, 50)), solid((210, 70, 45))) == 0.0


def test_the_share_counts_pixels():
    result, truth = solid((128, 128, 128)), solid((128, 128, 128))
    result[:2] = (30, 180, 40)  # a green blotch over a quarter of the picture
    assert loud_wrong_share(result, truth) == 0.25
