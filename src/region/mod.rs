//! Regions and the bottom-up region-finding methods (SPEC §2–3).
