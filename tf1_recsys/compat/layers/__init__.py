"""Keras-free ``tf.compat.v1.layers``: the same names, signatures and variables, on ``get_variable``.

Every public name ``tf.compat.v1.layers`` has in TensorFlow 2.15 except the
``experimental`` submodule (Keras-style variable management, which is what this module
replaces). Graph mode only. ``tf1_recsys.compat.install()`` makes ``tf.compat.v1.layers``
resolve here.
"""
from tf1_recsys.compat.layers.base import Layer
from tf1_recsys.compat.layers.convolutional import (
    Conv1D, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, SeparableConv1D, SeparableConv2D,
    Convolution1D, Convolution2D, Convolution2DTranspose, Convolution3D, Convolution3DTranspose, Deconv2D,
    Deconv3D, Deconvolution2D, Deconvolution3D, SeparableConvolution2D,
    conv1d, conv2d, conv2d_transpose, conv3d, conv3d_transpose, separable_conv1d, separable_conv2d,
    convolution1d, convolution2d, convolution2d_transpose, convolution3d, convolution3d_transpose, deconv2d,
    deconv3d, deconvolution2d, deconvolution3d, separable_convolution2d,
)
from tf1_recsys.compat.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.layers.normalization import BatchNormalization, batch_normalization
from tf1_recsys.compat.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool2D, MaxPool2D, MaxPooling1D, MaxPooling2D,
    MaxPooling3D, average_pooling1d, average_pooling2d, average_pooling3d, avg_pool2d, max_pool2d,
    max_pooling1d, max_pooling2d, max_pooling3d,
)

# The names tf.compat.v1.layers exports in TensorFlow 2.15 (its `experimental` submodule aside).
__all__ = [
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "BatchNormalization", "Conv1D", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "Dense", "Dropout", "Flatten", "InputSpec", "Layer",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "SeparableConv1D", "SeparableConv2D",
    "average_pooling1d", "average_pooling2d", "average_pooling3d", "batch_normalization", "conv1d", "conv2d",
    "conv2d_transpose", "conv3d", "conv3d_transpose", "dense", "dropout", "flatten", "max_pooling1d",
    "max_pooling2d", "max_pooling3d", "separable_conv1d", "separable_conv2d",
]
