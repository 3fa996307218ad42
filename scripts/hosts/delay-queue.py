#!/usr/bin/python3
"""Holds every packet of one NFQUEUE for a fixed delay (plus optional jitter), then lets it go.

The test bed's stand-in for `tc qdisc ... netem delay`, for kernels built without sch_netem
(the machine this project runs on has none). The fleet puts an iptables NFQUEUE rule on a
host's eth0 (OUTPUT) and runs this inside the host's network namespace; packets really wait in
the kernel queue, so every protocol sees the delay. Loss is an iptables `statistic` rule.

It speaks nfnetlink_queue directly over an AF_NETLINK socket (Node cannot open one, and no
library for it is packaged here). Usage: delay-queue.py QUEUE_NUM DELAY_MS [JITTER_MS]
"""
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NETLINK_NO_ENOBUFS = 5
SOL_NETLINK = 270
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT_BATCH = 0, 1, 2, 3
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = 1, 2, 3, 4, 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * ((4 - length % 4) % 4)


def message(kind, queue, attrs, flags=NLM_F_REQUEST):
    body = struct.pack('=BBH', socket.AF_UNSPEC, 0, socket.htons(queue)) + b''.join(attrs)
    return struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, 0, 0) + body


def configure(sock, queue):
    for attrs in (
        [attr(NFQA_CFG_CMD, struct.pack('!BxH', NFQNL_CFG_CMD_BIND, socket.AF_INET))],
        [
            attr(NFQA_CFG_PARAMS, struct.pack('!IB', 0, NFQNL_COPY_META)),
            attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack('!I', 65536)),
            # A full queue lets packets through rather than dropping them: loss is only ever
            # what the caller asked for.
            attr(NFQA_CFG_FLAGS, struct.pack('!I', NFQA_CFG_F_FAIL_OPEN)),
            attr(NFQA_CFG_MASK, struct.pack('!I', NFQA_CFG_F_FAIL_OPEN)),
        ],
    ):
        sock.send(message(NFQNL_MSG_CONFIG, queue, attrs, NLM_F_REQUEST | NLM_F_ACK))
        data = sock.recv(65536)
        _, kind, _, _, _ = struct.unpack_from('=IHHII', data)
        if kind == NLMSG_ERROR:
            (err,) = struct.unpack_from('=i', data, 16)
            if err != 0:
                raise OSError(-err, f'nfqueue config of queue {queue}: {os.strerror(-err)}')


def packet_ids(data):
    """Yields the packet id of every NFQNL_MSG_PACKET in one recv buffer."""
    off = 0
    while off + 16 <= len(data):
        length, kind, _, _, _ = struct.unpack_from('=IHHII', data, off)
        if length < 16:
            return
        if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            a = off + 20
            while a + 4 <= off + length:
                alen, akind = struct.unpack_from('=HH', data, a)
                if alen < 4:
                    break
                if akind & 0x7FFF == NFQA_PACKET_HDR:
                    yield struct.unpack_from('!I', data, a + 4)[0]
                a += (alen + 3) & ~3
        off += (length + 3) & ~3


def main():
    queue, delay_ms = int(sys.argv[1]), float(sys.argv[2])
    jitter_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: bursts never overflow
    sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
    sock.bind((0, 0))
    configure(sock, queue)
    print(f'delay-queue: queue {queue} delay {delay_ms} ms jitter {jitter_ms} ms', flush=True)
    due = []  # (release time, seq, packet id)
    seq = 0
    while True:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
        ready, _, _ = select.select([sock], [], [], timeout)
        if ready:
            now = time.monotonic()
            for pid in packet_ids(sock.recv(1 << 20)):
                wait = delay_ms + (random.uniform(-jitter_ms, jitter_ms) if jitter_ms else 0.0)
                heapq.heappush(due, (now + max(0.0, wait) / 1000.0, seq, pid))
                seq += 1
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, pid = heapq.heappop(due)
            sock.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, pid))]))


if __name__ == '__main__':
    main()
