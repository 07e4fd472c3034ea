extension Gateway {
    /// For shutdown, once the loops have stopped (their state is then the caller's): the spans
    /// still on the loops go to the exporter, which has `Tracer.flushTimeoutSeconds` to send
    /// what it holds before it stops.
    func finishTracing() {
        guard let tracer else { return }
        for context in contexts { context.value.spans?.handOff() }
        tracer.exporter.shutdown(timeoutSeconds: Tracer.flushTimeoutSeconds)
    }
}
