@testable import InstancePool
import XCTest

final class AcquireQueueTests: XCTestCase {
    private struct Item: Equatable {
        let client: Int
        let number: Int
        var size = 0
    }

    func testRoundRobinAcrossClients() {
        var queue = AcquireQueue<Item>()
        // Worst case for FIFO: client 1 queues everything first.
        for client in 1...3 {
            for number in 1...3 { queue.append(Item(client: client, number: number), client: client) }
        }
        var served: [Int] = []
        while let item = queue.popNext(where: { _ in true }) { served.append(item.client) }
        XCTAssertEqual(served, [1, 2, 3, 1, 2, 3, 1, 2, 3])
        XCTAssertTrue(queue.isEmpty)
    }

    func testFIFOWithinAClient() {
        var queue = AcquireQueue<Item>()
        for number in 1...4 { queue.append(Item(client: 7, number: number), client: 7) }
        XCTAssertEqual(queue.inServiceOrder.map(\.number), [1, 2, 3, 4])
    }

    func testNewcomerWaitsOneTurnOfEachWaitingClient() {
        var queue = AcquireQueue<Item>()
        for client in [1, 2] {
            for number in 1...2 { queue.append(Item(client: client, number: number), client: client) }
        }
        XCTAssertEqual(queue.popNext(where: { _ in true })?.client, 1)
        queue.append(Item(client: 3, number: 1), client: 3)
        var served: [Int] = []
        while let item = queue.popNext(where: { _ in true }) { served.append(item.client) }
        // 2 was due next, 1 was already waiting: both get a turn before the newcomer.
        XCTAssertEqual(served, [2, 1, 3, 2])
    }

    func testItemThatDoesNotFitDoesNotBlockOthers() {
        var queue = AcquireQueue<Item>()
        queue.append(Item(client: 1, number: 1, size: 9), client: 1)
        queue.append(Item(client: 1, number: 2, size: 1), client: 1)
        queue.append(Item(client: 2, number: 1, size: 9), client: 2)
        XCTAssertEqual(queue.popNext(where: { $0.size < 5 }), Item(client: 1, number: 2, size: 1))
        XCTAssertNil(queue.popNext(where: { $0.size < 5 }))
        XCTAssertEqual(queue.count, 2)
    }

    func testRemoveClientAndCounts() {
        var queue = AcquireQueue<Item>()
        for client in 1...3 { queue.append(Item(client: client, number: 1), client: client) }
        queue.append(Item(client: 2, number: 2), client: 2)
        XCTAssertEqual(queue.count(client: 2), 2)
        XCTAssertEqual(queue.remove(client: 2).map(\.number), [1, 2])
        XCTAssertEqual(queue.count, 2)
        XCTAssertEqual(queue.count(client: 2), 0)
        XCTAssertEqual(queue.inServiceOrder.map(\.client), [1, 3])
        XCTAssertEqual(queue.removeAll(where: { $0.client == 1 }).count, 1)
        XCTAssertEqual(queue.popNext(where: { _ in true })?.client, 3)
        XCTAssertTrue(queue.isEmpty)
        XCTAssertTrue(queue.rotation.isEmpty)
    }
}
