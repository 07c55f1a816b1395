fn main() {
    eprintln!("semrob: no commands yet");
    std::process::exit(2);
}
