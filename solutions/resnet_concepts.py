"""ResNet concepts quiz, filled in with the right answers: the hidden reference, never shipped to learners.

Answer the five questions below by replacing each ``None`` at the bottom of this file with your answer,
then self-check from the repository root with::

    pytest exercises

The self-check only tells you whether every answer is filled in and well-formed, never whether it is right.
This file is never run by the grader: it reads the values you assign. So write each answer itself, as a
literal: a letter in quotes such as "d" for a choice, a tuple of ints such as (None, 8, 8, 16) for a shape;
not an expression, a variable or a function call that would compute it. See README.md for the formats.


Q1 (1 point). ResNet introduced skip connections, y = F(x) + x, to train very deep networks.
What is the main reason they help? Think about what happens to the gradients when a network gets very deep.

    a) They add extra trainable parameters, so the network has more capacity to fit the data.
    b) They give the gradient a direct (identity) path back to the early layers, so it does not vanish
       through many layers, and very deep networks can be trained.
    c) They let the network skip computing some layers, which makes deep networks faster.
    d) They regularize the network, like dropout, so that very deep networks overfit less.


Q2 (2 points). A ResNet block gets an input tensor of shape (batch_size=32, height=64, width=64,
channels=64). It applies two convolutions with padding='same' that keep the number of channels, then adds
the input through the skip connection. What is the shape of the output?

    import tensorflow as tf

    input_tensor = tf.random.normal([32, 64, 64, 64])
    conv1 = tf.keras.layers.Conv2D(64, 3, padding='same', activation='relu')(input_tensor)
    conv2 = tf.keras.layers.Conv2D(64, 3, padding='same')(conv1)
    output = tf.keras.layers.Add()([input_tensor, conv2])
    print(output.shape)

Answer with a tuple of four ints (batch, height, width, channels), as print(output.shape) shows it.
You may write None for the batch size.


Q3 (2 points). In a ResNet block whose output has a different number of channels than its input (say 64
in, 128 out), the skip connection cannot simply add the input to the output. Which option handles this
channel mismatch correctly? Think about how to turn the input into a tensor of the output's shape.

    a) Remove the shortcut from that block: a block whose number of channels changes cannot have a skip
       connection.
    b) Use padding='same' in both convolutions, so that the output has the same shape as the input.
    c) Put a 1x1 convolution with out_channels filters (and the block's stride) on the shortcut, and add
       its output to the block's output.
    d) Concatenate the input and the block's output along the channel axis instead of adding them.


Q4 (1 point). You train a very deep ResNet with skip connections and the same network without them (a
"plain" network of the same depth and width). How do their training-loss curves typically compare?

    a) With skip connections the training loss falls faster and ends lower; the plain network's training
       loss stays higher, and gets worse as the network gets deeper.
    b) The two curves are about the same: skip connections change the architecture, not how well it trains.
    c) With skip connections the training loss is higher, because the input bypasses the layers and so
       they learn less.
    d) Without skip connections the training loss is lower but the validation loss is higher: skip
       connections mainly prevent overfitting.


Q5 (1 point). What happens when this PyTorch code runs? Check the shapes of the tensors that are added.

    import torch
    import torch.nn as nn

    class ResNetBlock(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
            self.relu = nn.ReLU()

        def forward(self, x):
            out = self.relu(self.conv1(x))
            out = self.conv2(out)
            out += x  # skip connection
            out = self.relu(out)
            return out

    block = ResNetBlock(64, 128)
    input_tensor = torch.randn(1, 64, 32, 32)
    output = block(input_tensor)

    a) conv1 raises an error: nn.Conv2d(64, 128, ...) cannot take a 64-channel input.
    b) The 3x3 convolutions shrink the 32x32 input to 28x28, so adding x fails on the height and width.
    c) `out += x` raises a RuntimeError: out has 128 channels and x has 64, so the tensors cannot be added
       (a size mismatch at dimension 1).
    d) There is no error: PyTorch broadcasts x's 64 channels to 128.
    e) An autograd error: `out += x` changes a tensor in place, which is not allowed in forward().
"""

# The answer key (hidden reference: never shipped). Each comment says why, for instructors.

# Q1: the identity path keeps the gradient from vanishing (dy/dx = dF/dx + I).
Q1_WHY_SKIP = "b"

# Q2: stride 1 + padding='same' keeps 64x64, 64 filters keep 64 channels, Add() keeps the shape.
Q2_OUTPUT_SHAPE = (32, 64, 64, 64)

# Q3: a 1x1 projection on the shortcut (option B of the ResNet paper).
Q3_CHANNEL_MISMATCH = "c"

# Q4: the degradation problem: deep plain networks have a higher training loss.
Q4_LOSS_CURVES = "a"

# Q5: conv2 outputs (1, 128, 32, 32), x is (1, 64, 32, 32): `out += x` fails at dimension 1.
Q5_PYTORCH_ERROR = "c"
