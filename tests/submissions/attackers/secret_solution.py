# threat (victim side): a classmate's solution whose text and outputs a later learner must never see
import numpy as np

SECRET = "GRADEKIT-CLASSMATE-SECRET-" + "7f3a9c"  # the scraper looks for this text


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
