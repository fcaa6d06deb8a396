"""Grader for the ResNet concepts quiz (five questions on skip connections). Hidden: never shipped to learners.

The learner's file is read, never run (see graders/engine/quiz.py): only literal assignments to the answer
names count. Every wrong option is a named misconception with a stable code, the reasoning that shows why it
is wrong, and a hint that never gives the answer away. Changing anything here (the answer key included)
regrades every submission on the next `batch` run: the exercise's fingerprint covers this package.
"""

from __future__ import annotations

from graders.authoring import Choice, Misconception, Quiz, Shape, WrongShape, right, wrong

# ------------------------------------------------------------------------------------------ questions
GRADIENT_HINT = ("Think about the gradient on its way back through many layers: what does the `+ x` term add to "
                 "the derivative of y = F(x) + x with respect to x?")

Q1 = Choice("Q1_WHY_SKIP", (
    wrong("a", "They add extra trainable parameters, so the network has more capacity to fit the data.",
          "q1_more_parameters",
          why="An identity shortcut has no parameters at all: it adds x unchanged (y = F(x) + x). A ResNet and the "
              "plain network of the same depth have the same weights, yet the plain one trains worse, so extra "
              "capacity is not what the shortcut brings.",
          hint=GRADIENT_HINT),
    right("b", "They give the gradient a direct (identity) path back to the early layers, so it does not vanish "
               "through many layers, and very deep networks can be trained."),
    wrong("c", "They let the network skip computing some layers, which makes deep networks faster.",
          "q1_skips_computation",
          why="Every layer is still computed: the shortcut runs alongside the block and its output is added to the "
              "block's output. A skip connection adds a little work (one addition); it removes none.",
          hint="The shortcut does not save work, so ask what it changes during training. " + GRADIENT_HINT),
    wrong("d", "They regularize the network, like dropout, so that very deep networks overfit less.",
          "q1_regularization",
          why="The problem ResNet solved shows up on the training set: a deeper plain network reaches a higher "
              "training error than a shallower one (the degradation problem). That is an optimization problem, "
              "not overfitting, and a regularizer would raise the training error, not lower it.",
          hint="Compare training errors, not test errors: why would adding layers make the training error of a "
               "plain network worse? " + GRADIENT_HINT),
), points=1, label="why skip connections let very deep networks train")

SAME_PADDING_HINT = ("Work through the code one layer at a time: with stride 1, padding='same' keeps the height "
                     "and width; the number of filters sets the channels; Add() sums tensors of equal shape.")

Q2 = Shape(
    "Q2_OUTPUT_SHAPE",
    expected=(32, 64, 64, 64),
    axes=("batch", "height", "width", "channels"),
    example=(None, 8, 8, 16),
    hint=SAME_PADDING_HINT,
    wrong=(
        WrongShape(((32, 60, 60, 64), (32, 62, 62, 64)), Misconception(
            "q2_valid_padding",
            why="That is what 3x3 convolutions without padding (padding='valid') give: each one removes 2 rows and "
                "2 columns, and Add() could then not even add the result to the 64x64 input. padding='same' pads "
                "the input so that, with stride 1, the height and width stay the same.",
            hint="Look at the padding argument: what does padding='same' keep unchanged when the stride is 1?")),
        WrongShape(((32, 64, 64, 128),), Misconception(
            "q2_add_concatenates",
            why="Add() sums the two tensors element by element; it does not stack them. Stacking along the "
                "channels would be Concatenate(), which is not what a residual connection does.",
            hint="An element-wise sum of two tensors of the same shape has that same shape.")),
        WrongShape(((64, 64, 64),), Misconception(
            "q2_missing_batch",
            why="The batch axis is part of the shape: tf.random.normal([32, 64, 64, 64]) holds 32 images, and every "
                "layer keeps the batch axis first.",
            hint="Write all four axes (batch, height, width, channels); None is accepted for the batch.")),
        WrongShape(((32, 32, 32, 64),), Misconception(
            "q2_downsampled",
            why="Nothing here downsamples: both convolutions use the default stride 1. A ResNet block halves the "
                "height and width only when it uses stride 2 (and then its shortcut must be projected too).",
            hint="Check the strides: with stride 1 and padding='same' the height and width do not change.")),
    ),
    points=2,
    label="the output shape of the Keras block with padding='same'",
)

PROJECTION_HINT = ("The shortcut only needs to output a tensor of the block's output shape. Which layer changes the "
                   "number of channels while leaving height and width alone, with few parameters?")

Q3 = Choice("Q3_CHANNEL_MISMATCH", (
    wrong("a", "Remove the shortcut from that block: a block whose number of channels changes cannot have a skip "
               "connection.",
          "q3_drop_skip",
          why="ResNet keeps a shortcut in every block, also where the channels change (the first block of each "
              "stage). Dropping it removes the identity path the gradient relies on, at exactly those blocks.",
          hint=PROJECTION_HINT),
    wrong("b", "Use padding='same' in both convolutions, so that the output has the same shape as the input.",
          "q3_same_padding",
          why="Padding only affects the height and width. The number of output channels of a convolution is its "
              "number of filters, so no padding can turn 128 channels into 64 or 64 into 128.",
          hint="Which part of a convolution decides how many channels it outputs? " + PROJECTION_HINT),
    right("c", "Put a 1x1 convolution with out_channels filters (and the block's stride) on the shortcut, and add "
               "its output to the block's output."),
    wrong("d", "Concatenate the input and the block's output along the channel axis instead of adding them.",
          "q3_concatenate",
          why="Concatenation stacks the channels (for example 64 + 128 = 192) instead of adding: the block no "
              "longer computes F(x) + x, and the width grows with every block. That is DenseNet's design, not a "
              "residual connection.",
          hint="Keep the addition F(x) + shortcut(x), and change the shortcut so that it outputs as many channels "
               "as F(x). " + PROJECTION_HINT),
), points=2, label="a shortcut for a block that changes the number of channels")

CURVES_HINT = ("Compare training loss with training loss: which of the two deep networks can the optimizer "
               "actually fit, given how well the gradient reaches its early layers?")

Q4 = Choice("Q4_LOSS_CURVES", (
    right("a", "With skip connections the training loss falls faster and ends lower; the plain network's training "
               "loss stays higher, and gets worse as the network gets deeper."),
    wrong("b", "The two curves are about the same: skip connections change the architecture, not how well it "
               "trains.",
          "q4_no_difference",
          why="At large depth plain networks train clearly worse: in the ResNet paper a 34-layer plain network has "
              "a higher training error than an 18-layer one, while the 34-layer ResNet beats both. The shortcut "
              "changes the optimization, not only the diagram.",
          hint=CURVES_HINT),
    wrong("c", "With skip connections the training loss is higher, because the input bypasses the layers and so "
               "they learn less.",
          "q4_shortcut_bypasses_learning",
          why="The layers still learn: they learn the residual F(x) = H(x) - x, which is easier to optimize "
              "(weights near zero already give the identity). Nothing is bypassed in the backward pass either: "
              "the gradient reaches every layer, through the block and through the shortcut.",
          hint=CURVES_HINT),
    wrong("d", "Without skip connections the training loss is lower but the validation loss is higher: skip "
               "connections mainly prevent overfitting.",
          "q4_overfitting",
          why="The deep plain network's problem is a higher training loss (the degradation problem): it underfits, "
              "it does not overfit. Skip connections lower the training loss itself.",
          hint=CURVES_HINT),
), points=1, label="training loss of a deep network with and without skip connections")

SHAPES_HINT = ("Write down the shape after each line of forward (x, conv1, conv2) and compare the two tensors "
               "that `out += x` adds.")

Q5 = Choice("Q5_PYTORCH_ERROR", (
    wrong("a", "conv1 raises an error: nn.Conv2d(64, 128, ...) cannot take a 64-channel input.",
          "q5_conv1_channels",
          why="conv1 is declared with in_channels=64 and receives a 64-channel input: exactly right. It outputs "
              "128 channels, and conv2 (128 -> 128) accepts those too.",
          hint=SHAPES_HINT),
    wrong("b", "The 3x3 convolutions shrink the 32x32 input to 28x28, so adding x fails on the height and width.",
          "q5_padding_shrinks",
          why="padding=1 with a 3x3 kernel and stride 1 keeps the size: (32 + 2*1 - 3) / 1 + 1 = 32. The height "
              "and width of out and x match; another axis does not.",
          hint=SHAPES_HINT),
    right("c", "`out += x` raises a RuntimeError: out has 128 channels and x has 64, so the tensors cannot be added "
               "(a size mismatch at dimension 1)."),
    wrong("d", "There is no error: PyTorch broadcasts x's 64 channels to 128.",
          "q5_broadcasting",
          why="Broadcasting only stretches an axis of size 1. Sizes 128 and 64 are incompatible, so the addition "
              "fails: 'The size of tensor a (128) must match the size of tensor b (64) at non-singleton "
              "dimension 1'.",
          hint=SHAPES_HINT),
    wrong("e", "An autograd error: `out += x` changes a tensor in place, which is not allowed in forward().",
          "q5_inplace_autograd",
          why="In-place operations are allowed in forward() as long as autograd does not need the overwritten "
              "value; conv2's output is not needed for its backward pass, so `out += x` would work if the shapes "
              "matched. The addition fails earlier, on the shapes.",
          hint=SHAPES_HINT),
), points=1, label="the error in the PyTorch block with 64 -> 128 channels")


# --------------------------------------------------------------------------------------- the quiz
# --------------------------------------------------------------------------------- rubric
# Points each wrong answer deducts under rubric scoring: the question's points, except a shape that only
# leaves out the batch axis, which a TA would half-credit.
RUBRIC = {
    "q1_more_parameters": 1,
    "q1_skips_computation": 1,
    "q1_regularization": 1,
    "q2_valid_padding": 2,
    "q2_add_concatenates": 2,
    "q2_missing_batch": 1,
    "q2_downsampled": 2,
    "q3_drop_skip": 2,
    "q3_same_padding": 2,
    "q3_concatenate": 2,
    "q4_no_difference": 1,
    "q4_shortcut_bypasses_learning": 1,
    "q4_overfitting": 1,
    "q5_conv1_channels": 1,
    "q5_padding_shrinks": 1,
    "q5_broadcasting": 1,
    "q5_inplace_autograd": 1,
}


# --------------------------------------------------------------------------------- concepts
# What each catalogued mistake is about: the course page follows a concept across exercises.
CONCEPTS = {
    "q1_more_parameters": "skip_connection_purpose",
    "q1_skips_computation": "skip_connection_purpose",
    "q1_regularization": "skip_connection_purpose",
    "q2_add_concatenates": "skip_connection",
    "q3_drop_skip": "projection_shortcut",
    "q3_same_padding": "projection_shortcut",
    "q3_concatenate": "skip_connection",
    "q4_no_difference": "skip_connection_purpose",
    "q4_shortcut_bypasses_learning": "skip_connection_purpose",
    "q4_overfitting": "skip_connection_purpose",
}


EXERCISE = Quiz(
    name="resnet_concepts",
    title="ResNet concepts: skip connections, shapes and projection shortcuts (quiz)",
    order=5,
    questions=(Q1, Q2, Q3, Q4, Q5),
    rubric=RUBRIC,
    concepts=CONCEPTS,
)
