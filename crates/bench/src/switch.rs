//! An on/off flag value (`bench-scans --metrics on|off`, as `voelgoed serve --metrics`).

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    pub fn is_on(self) -> bool {
        self == Self::On
    }
}
