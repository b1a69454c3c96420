// There is no GPU on the development machine or in CI: the assignment logic is tested on a
// simulated device list, and the pool test with `simulatedGPUs` checks the pinning variables
// really reach the worker.

import InstancePool
import XCTest

final class GPUAssignmentTests: XCTestCase {
    private let devices = [GPUDevice(index: 0, type: "CUDA", name: "A"), GPUDevice(index: 1, type: "CUDA", name: "B")]

    func testOneDevicePerInstanceNeverShared() {
        var assignment = GPUAssignment(devices: devices)
        XCTAssertEqual(assignment.assign(to: "i1")?.index, 0)
        XCTAssertEqual(assignment.assign(to: "i2")?.index, 1)
        XCTAssertNil(assignment.assign(to: "i3"), "beyond the GPU count there is no device")
        XCTAssertEqual(assignment.assign(to: "i1")?.index, 0, "an instance keeps its one device")
        XCTAssertEqual(Set(assignment.holders.values.map(\.index)).count, assignment.holders.count, "no device held twice")

        assignment.release("i1")
        XCTAssertEqual(assignment.freeDevices.map(\.index), [0])
        XCTAssertEqual(assignment.assign(to: "i3")?.index, 0, "a freed device goes to the next instance")
        XCTAssertFalse(assignment.hasFreeDevice)
    }

    func testDuplicateIndicesAreOneDevice() {
        let assignment = GPUAssignment(devices: devices + [GPUDevice(index: 1, type: "OPTIX", name: "B again")])
        XCTAssertEqual(assignment.devices.count, 2)
    }

    func testPlacementPolicy() {
        var assignment = GPUAssignment(devices: devices)
        // CPU work does not take a device when overflow is .cpu.
        XCTAssertEqual(assignment.place("c1", for: .cpu, overflow: .cpu), .cpu)
        XCTAssertEqual(assignment.place("g1", for: .gpu, overflow: .cpu), .device(devices[0]))
        XCTAssertEqual(assignment.place("a1", for: .auto, overflow: .cpu), .device(devices[1]))
        // All taken: GPU work waits, auto/warm instances run on the CPU.
        XCTAssertEqual(assignment.place("g2", for: .gpu, overflow: .cpu), .wait)
        XCTAssertEqual(assignment.place("a2", for: .auto, overflow: .cpu), .cpu)
        // With overflow .wait every instance must have a device.
        XCTAssertEqual(assignment.place("a3", for: .auto, overflow: .wait), .wait)
        XCTAssertEqual(assignment.place("c2", for: .cpu, overflow: .wait), .wait)
        assignment.release("g1")
        XCTAssertEqual(assignment.place("c3", for: .cpu, overflow: .wait), .device(devices[0]))
        XCTAssertEqual(assignment.holders.count, 2)

        var none = GPUAssignment(devices: [])
        XCTAssertEqual(none.place("x", for: .auto, overflow: .wait), .cpu)
        XCTAssertEqual(none.place("y", for: .gpu, overflow: .cpu), .wait)
    }

    func testManyInstancesNeverShareADevice() {
        // Random assign/release sequences keep the invariant.
        var generator = SystemRandomNumberGenerator()
        var assignment = GPUAssignment(devices: (0..<4).map { GPUDevice(index: $0, type: "CUDA", name: "G\($0)") })
        for step in 0..<2000 {
            let id = "i\(Int.random(in: 0..<10, using: &generator))"
            if Bool.random(using: &generator) {
                _ = assignment.assign(to: id)
            } else {
                assignment.release(id)
            }
            let held = assignment.holders.values.map(\.index)
            XCTAssertEqual(Set(held).count, held.count, "step \(step): a device is held twice")
            XCTAssertLessThanOrEqual(held.count, 4)
        }
    }

    func testRetiredDeviceIsNotOfferedAgain() {
        var assignment = GPUAssignment(devices: devices)
        _ = assignment.assign(to: "i1")
        assignment.retire(index: 0)
        XCTAssertNil(assignment.device(of: "i1"))
        XCTAssertEqual(assignment.assign(to: "i2")?.index, 1)
        XCTAssertNil(assignment.assign(to: "i3"))
    }

    func testPolicyArgumentAndNvidiaSMI() {
        XCTAssertEqual(GPUPolicy(argument: "auto"), .auto)
        XCTAssertEqual(GPUPolicy(argument: "none"), GPUPolicy.none)
        XCTAssertEqual(GPUPolicy(argument: "0,2"), .indices([0, 2]))
        XCTAssertNil(GPUPolicy(argument: "0,0"))
        XCTAssertNil(GPUPolicy(argument: "gpu0"))
        let listing = """
            GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5a1d0e2f-0000-0000-0000-000000000000)
            GPU 1: NVIDIA GeForce RTX 4090 (UUID: GPU-deadbeef-0000-0000-0000-000000000000)
            """
        XCTAssertEqual(NvidiaSMI.parseList(listing), [
            GPUDevice(index: 0, type: "CUDA", name: "NVIDIA A100-SXM4-40GB"),
            GPUDevice(index: 1, type: "CUDA", name: "NVIDIA GeForce RTX 4090"),
        ])
        XCTAssertEqual(NvidiaSMI.parseList("No devices were found\n"), [])
    }
}
