//! The smallest Lambda extension: registers for INVOKE and SHUTDOWN and does nothing with them.
//! What starting any extension costs, against which the telemetry extension's cost is read.

use lambda_extension::{Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_extension::run(lambda_extension::service_fn(|_event: LambdaEvent| async {
        Ok::<(), Error>(())
    }))
    .await
}
