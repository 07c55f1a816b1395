//! The classifiers: weight files, parity with PyTorch, pretrained outputs, and the
//! function of interest (render + classify).

mod checkpoint;
mod function;
mod parity;
mod pretrained;
mod support;
mod torchscript;
