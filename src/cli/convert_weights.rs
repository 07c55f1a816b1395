//! `semrob convert-weights IN OUT.safetensors`: a PyTorch checkpoint as safetensors.

use std::path::PathBuf;

use semrob::nets::checkpoint;

#[derive(clap::Args)]
pub struct Args {
    /// A PyTorch checkpoint of a state dict (zip or legacy torch.save) or a .safetensors file.
    input: PathBuf,
    /// The .safetensors file to write (same keys, dtypes and shapes).
    output: PathBuf,
    /// Refuse the input unless it fits this network (resnet50, vgg11-bn, ...).
    #[cfg(feature = "torch")]
    #[arg(long)]
    model: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    #[cfg(feature = "torch")]
    if let Some(name) = &args.model {
        let arch = semrob::nets::Architecture::from_name(name)?;
        semrob::nets::Classifier::load(arch, &args.input, semrob::nets::Device::Cpu)?;
    }
    let tensors = checkpoint::read_weights(&args.input)?;
    checkpoint::write_safetensors(&tensors, &args.output)?;
    eprintln!(
        "wrote {} tensors to {}",
        tensors.len(),
        args.output.display()
    );
    Ok(())
}
