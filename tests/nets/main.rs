//! The classifiers: weight files, parity with PyTorch, pretrained outputs, and the
//! function of interest (render + classify), and the user's own networks (TorchScript, ONNX).

mod checkpoint;
mod function;
mod onnx;
mod parity;
mod pretrained;
mod support;
mod torchscript;
