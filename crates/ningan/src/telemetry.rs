//! Logging setup in one place. The writer is passed in so tests can stay quiet.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// `RUST_LOG` wins over the configured filter when set.
pub fn init<W>(filter: &str, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_target(false).try_init();
}
