//! The CronJob controller (not written yet).

use crate::informer::Informers;
use crate::{Client, Error};

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let _ = (client, informers);
    std::future::pending().await
}
