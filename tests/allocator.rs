//! The allocator setting of `semrob::runtime::tune_allocator` (issue 12): large blocks come
//! from the heap and stay in the process when freed, so the next network batch reuses them
//! instead of mapping and faulting them in again. Runs without the test harness so that the
//! blocks are allocated on the main thread, where libtorch allocates a batch's activations.

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use semrob::runtime::{tune_allocator, AllocatorTuning};
        assert_eq!(tune_allocator(), AllocatorTuning::Tuned);
        for size in [1usize << 20, 96 << 20, 400 << 20] {
            // SAFETY: mallinfo2 only reads malloc's statistics.
            let before = unsafe { libc::mallinfo2() };
            let v: Vec<u8> = vec![1; size];
            // SAFETY: mallinfo2 only reads malloc's statistics.
            let during = unsafe { libc::mallinfo2() };
            assert!(
                during.hblkhd < before.hblkhd + size,
                "a {size}-byte block was mapped on its own ({} bytes in mappings, {} before)",
                during.hblkhd,
                before.hblkhd
            );
            std::hint::black_box(&v);
            drop(v);
            // SAFETY: as above.
            let after = unsafe { libc::mallinfo2() };
            assert!(
                after.fordblks >= size,
                "a freed {size}-byte block went back to the kernel ({} bytes free in the heap)",
                after.fordblks
            );
        }
        println!("allocator: large blocks stay in the heap: ok");
    }
}
