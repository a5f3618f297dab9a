//! A tokio runtime on a thread of its own, for the runners that drive containers (builds,
//! deployments): their work is waiting on the container runtime, and it must not share the
//! HTTP workers or the engine's actors.

/// Starts a current-thread tokio runtime on a thread named `name` that lives as long as the
/// process; returns the handle to spawn work on.
pub fn background(name: &str) -> Result<tokio::runtime::Handle, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = tx.send(Ok(rt.handle().clone()));
            rt.block_on(std::future::pending::<()>());
        })
        .map_err(|e| format!("starting the {name} thread: {e}"))?;
    rx.recv()
        .map_err(|e| format!("starting the {name} thread: {e}"))?
}
