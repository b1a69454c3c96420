// Runs a short command to completion and collects its output, without blocking the loop: the
// version probes (`blender --version`, `python -c "import bpy; …"`) and GPU detection
// (`nvidia-smi -L`). Output is capped so a chatty program cannot grow memory; a command that
// outlives its timeout is killed (its whole process group).

import UVCore

final class CommandRunner {
    struct Output {
        var status: ExitStatus
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    static let outputCap = 256 * 1024

    private var process: UVCore.Process?
    private var timer: UVCore.Timer?
    private var stdout: [UInt8] = []
    private var stderr: [UInt8] = []
    private var timedOut = false
    private var completion: ((Result<Output, any Error>) -> Void)?

    /// Starts `spec`; `completion` runs once on the loop thread (never from inside `run`).
    static func run(loop: EventLoop, spec: LaunchSpec, timeoutMilliseconds: Int,
                    _ completion: @escaping (Result<Output, any Error>) -> Void) -> CommandRunner {
        let runner = CommandRunner()
        runner.completion = completion
        runner.start(loop: loop, spec: spec, timeoutMilliseconds: timeoutMilliseconds)
        return runner
    }

    private func start(loop: EventLoop, spec: LaunchSpec, timeoutMilliseconds: Int) {
        do {
            let process = try UVCore.Process.spawn(
                loop: loop, options: spec.processOptions(controlChannel: false, stdout: .pipe, stderr: .pipe)
            ) { [self] status in finish(status) }
            self.process = process
            try process.stdout?.startReading { [self] event in
                if case .data(let bytes) = event, stdout.count < Self.outputCap { stdout.append(contentsOf: bytes.prefix(Self.outputCap - stdout.count)) }
            }
            try process.stderr?.startReading { [self] event in
                if case .data(let bytes) = event, stderr.count < Self.outputCap { stderr.append(contentsOf: bytes.prefix(Self.outputCap - stderr.count)) }
            }
            let timer = try UVCore.Timer(loop: loop)
            self.timer = timer
            try timer.start(after: timeoutMilliseconds) { [self] in
                timedOut = true
                self.process?.terminate(grace: 0)
            }
        } catch {
            // Deliver on a later iteration, like every other outcome.
            process?.terminate(grace: 0)
            deliverLater(loop: loop, .failure(error))
        }
    }

    private func deliverLater(loop: EventLoop, _ result: Result<Output, any Error>) {
        timer?.close()
        guard let timer = try? UVCore.Timer(loop: loop) else {
            deliver(result)
            return
        }
        self.timer = timer
        do {
            try timer.start(after: 0) { [self] in deliver(result) }
        } catch {
            deliver(result)
        }
    }

    private func finish(_ status: ExitStatus) {
        deliver(.success(Output(
            status: status, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self), timedOut: timedOut)))
    }

    private func deliver(_ result: Result<Output, any Error>) {
        timer?.close()
        timer = nil
        process = nil
        let callback = completion
        completion = nil
        callback?(result)
    }

    /// Kills the command (pool shutdown); its completion still runs, reporting the signal.
    func cancel() {
        timedOut = true
        process?.terminate(grace: 0)
    }

    var isRunning: Bool { completion != nil }
}
