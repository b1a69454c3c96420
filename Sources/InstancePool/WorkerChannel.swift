// The pool's JSON-RPC client side of one worker: numbered requests, one in flight at a time,
// responses matched by id, a wall-clock timeout per call.
//
// Why one at a time: the worker serves strictly in order on Blender's main thread
// (protocol/worker.md, "Serving"), so pipelining gains nothing, and a timeout kill would take
// every pipelined request down with the one that hung. Further calls wait here, FIFO; a call's
// timeout starts when it is *sent*, since the worker cannot work on it earlier.

import JSONRPC
import UVCore

final class WorkerChannel {
    struct Call {
        let method: String
        let params: RawJSON
        let timeoutMilliseconds: Int?
        /// Gets the worker's result as the JSON text it sent (RawJSON.swift).
        let completion: (Result<RawJSON, RPCError>) -> Void
        var id = 0
    }

    private let loop: EventLoop
    let transport: any WorkerTransport
    private var nextID = 1
    private(set) var inFlight: Call?
    private var waiting: [Call] = []
    private var timer: UVCore.Timer?
    /// False once the channel is failed or closed: new calls are refused by the instance.
    private(set) var isOpen = true

    /// The in-flight call exceeded its timeout; it has been taken out of the channel and must be
    /// completed by the handler (the instance kills the worker, which fails the rest).
    var onTimeout: ((Call) -> Void)?
    /// A notification or request from the worker (worker.ready).
    var onIncoming: ((Request) -> Void)?
    /// Something odd but survivable (a response nobody waits for), for the log.
    var onAnomaly: ((String) -> Void)?

    init(loop: EventLoop, transport: any WorkerTransport) {
        self.loop = loop
        self.transport = transport
    }

    var pendingCount: Int { (inFlight == nil ? 0 : 1) + waiting.count }
    var isIdle: Bool { inFlight == nil && waiting.isEmpty }

    func call(_ call: Call) {
        waiting.append(call)
        sendNextIfIdle()
    }

    /// Handles one message from the worker.
    func receive(_ message: Message) {
        switch message {
        case .request(let request):
            onIncoming?(request)
        case .response(let response):
            receive(RawResponse(response))
        }
    }

    /// Handles a response whose result was kept as text (the spawned worker's usual reply).
    func receive(_ response: RawResponse) {
        guard let current = inFlight, response.id == .number(JSONNumber(current.id)) else {
            onAnomaly?("response to id \(response.id) which no call is waiting for")
            return
        }
        inFlight = nil
        timer?.stop()
        // Send the next one before completing, so a call made from inside the completion
        // queues behind calls that were already waiting.
        sendNextIfIdle()
        current.completion(response.result)
    }

    /// Fails every call (in flight first, then the waiting ones, in order) and refuses new ones.
    func failAll(_ error: (Call) -> RPCError) {
        isOpen = false
        timer?.stop()
        var calls: [Call] = []
        if let inFlight { calls.append(inFlight) }
        calls += waiting
        inFlight = nil
        waiting = []
        for call in calls { call.completion(.failure(error(call))) }
    }

    /// Releases the timer handle. The transport is closed separately by its owner.
    func close() {
        isOpen = false
        timer?.close()
        timer = nil
    }

    private func sendNextIfIdle() {
        guard isOpen, inFlight == nil, !waiting.isEmpty else { return }
        var call = waiting.removeFirst()
        call.id = nextID
        nextID += 1
        inFlight = call
        transport.send(RawRequest(id: .number(JSONNumber(call.id)), method: call.method, params: call.params).encoded())
        // After the send: the worker starts while the timer is armed (microseconds the timeout
        // does not count). A send that failed at once has already failed the call.
        if isOpen, inFlight != nil, let timeout = call.timeoutMilliseconds { armTimer(timeout) }
    }

    private func armTimer(_ milliseconds: Int) {
        do {
            if timer == nil { timer = try UVCore.Timer(loop: loop) }
            try timer?.start(after: max(0, milliseconds)) { [weak self] in self?.didTimeOut() }
        } catch {
            // Without a timer the call could hang forever: treat it as timed out now.
            onAnomaly?("cannot arm the call timer: \(error)")
            didTimeOut()
        }
    }

    private func didTimeOut() {
        guard let call = inFlight else { return }
        inFlight = nil
        // The worker is still busy with this call; nothing more may be sent to it.
        isOpen = false
        onTimeout?(call)
    }
}
