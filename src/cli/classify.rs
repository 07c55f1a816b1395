//! `semrob classify IMAGE... --model NAME`: top classes of images, as a table or JSON.

use std::path::PathBuf;

use serde::Serialize;

use semrob::analysis::network_function::inputs::load_classifier;
use semrob::nets::{read_image, RankedClass};

use super::network::{NetworkArgs, ScriptArgs};

#[derive(clap::Args)]
pub struct Args {
    /// Images (PNG or JPEG); each is resized to the network's input size when it differs
    /// (bilinear with antialiasing, no crop).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// resnet50, vgg11-bn, alexnet, inception-v3, efficientnet-lite0/1/2, or
    /// `torchscript:PATH` for a TorchScript file, `onnx:PATH` for an ONNX file (declared with
    /// the options below).
    #[arg(long)]
    model: String,
    #[command(flatten)]
    script: ScriptArgs,
    /// Weights (.safetensors or a PyTorch checkpoint); the EfficientNet-Lite models default
    /// to the files scripts/setup.sh fetched.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// How many classes to show per image.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Print JSON: [{"image": PATH, "top": [{"index", "name", "probability"}, ...]}, ...]
    /// (`name` is null for a network whose output is not the 1 000 ImageNet classes)
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    network: NetworkArgs,
}

#[derive(Serialize)]
struct Entry {
    image: String,
    top: Vec<RankedClass>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let model = args.script.model(&args.model)?;
    let options = args.network.options()?;
    let (classifier, _) = load_classifier(&model, args.weights.as_deref(), options)?;
    let mut entries = Vec::new();
    for path in &args.images {
        let top = classifier.top_classes(&read_image(path)?, args.top)?;
        entries.push(Entry {
            image: path.display().to_string(),
            top,
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
    } else {
        for e in &entries {
            println!("{}  ({model})", e.image);
            for (rank, c) in e.top.iter().enumerate() {
                println!(
                    "  {:>2}. {:>7.4}  {:>4}  {}",
                    rank + 1,
                    c.probability,
                    c.index,
                    c.name.unwrap_or("")
                );
            }
        }
    }
    Ok(())
}
