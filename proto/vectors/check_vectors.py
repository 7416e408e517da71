#!/usr/bin/env python3
"""check_vectors.py: a second implementation of SLSYNC/1 decoding, written
from proto/PROTOCOL.md alone (Python 3 standard library, no msgpack module),
that checks itself against the vectors in this directory.

It shows that the specification and the vectors are enough to implement the
protocol in another language, and it cross-checks the C codec: both must
agree on every vector.  Usage:  python3 proto/vectors/check_vectors.py [DIR]
Prints one line per failure and a summary; exits 1 on any failure.
"""
import hashlib
import os
import re
import struct
import sys

SIGNATURE, VERSION = 0x534C, 1
MAX_FRAME, MAX_DEPTH, MAX_OBJECTS = 4 * 1024 * 1024, 8, 200000
MAX_EVENTS, MAX_ENTRIES, MAX_PAYLOAD, MAX_TEXT, MAX_NAME = 2000, 1000, 16384, 4000, 64
MAX_ARGS, MAX_CELLS, MAX_COLUMNS = 16, 100000, 64
MAX_ADMIN_ARG = 1024 * 1024
MAX_TELEMETRY_TEXT = 400
U63, U64 = 2**63 - 1, 2**64 - 1
TYPES = [None, 'HELLO', 'WELCOME', 'BATCH', 'ACK', 'FETCH', 'EVENTS', 'LOG_PULL', 'LOG',
         'PING', 'PONG', 'ERROR', 'ADMIN', 'REPLY', 'ENROLL', 'ROTATE']
Z85 = ('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
       '.-:+=^!/*?&<>()[]{}@%$#')
SITE_ID = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]*')


class Refused(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class Str(bytes):
    """A msgpack str (kept as bytes: validity is checked where it is used)."""


class Bin(bytes):
    """A msgpack bin."""


class Map(list):
    """A msgpack map, as a list of (key, value) pairs in frame order."""


def unpack(b):
    """Section 2.2: one msgpack value, structure checked while reading."""
    pos, count = 0, 0

    def take(n):
        nonlocal pos
        if n > len(b) - pos:
            raise Refused(400)              # truncated or announced beyond the frame
        r = b[pos:pos + n]
        pos += n
        return r

    def container(n, pairs, depth):
        if (2 * n if pairs else n) > len(b) - pos:
            raise Refused(400)              # checked before anything is reserved
        if depth > MAX_DEPTH:
            raise Refused(400)
        if pairs:
            return Map((value(depth), value(depth)) for _ in range(n))
        return [value(depth) for _ in range(n)]

    def value(depth):
        nonlocal count
        count += 1
        if count > MAX_OBJECTS:
            raise Refused(400)
        t = take(1)[0]
        if t <= 0x7f:
            return t
        if t >= 0xe0:
            return t - 0x100
        if t <= 0x8f:
            return container(t & 0x0f, True, depth + 1)
        if t <= 0x9f:
            return container(t & 0x0f, False, depth + 1)
        if t <= 0xbf:
            return Str(take(t & 0x1f))
        if t == 0xc0:
            return None
        if t in (0xc2, 0xc3):
            return t == 0xc3
        if t in (0xc4, 0xc5, 0xc6):
            return Bin(take(int.from_bytes(take(1 << (t - 0xc4)), 'big')))
        if t == 0xca:
            return struct.unpack('>f', take(4))[0]
        if t == 0xcb:
            return struct.unpack('>d', take(8))[0]
        if 0xcc <= t <= 0xcf:
            return int.from_bytes(take(1 << (t - 0xcc)), 'big')
        if 0xd0 <= t <= 0xd3:
            return int.from_bytes(take(1 << (t - 0xd0)), 'big', signed=True)
        if t in (0xd9, 0xda, 0xdb):
            return Str(take(int.from_bytes(take(1 << (t - 0xd9)), 'big')))
        if t in (0xdc, 0xdd):
            return container(int.from_bytes(take(2 if t == 0xdc else 4), 'big'), False, depth + 1)
        if t in (0xde, 0xdf):
            return container(int.from_bytes(take(2 if t == 0xde else 4), 'big'), True, depth + 1)
        raise Refused(400)                  # 0xc1 and the ext types

    if not b:
        raise Refused(400)
    v = value(0)
    if pos != len(b):
        raise Refused(400)                  # trailing bytes
    return v


def z85(b):
    """ZeroMQ RFC 32: 4 bytes (big-endian) become 5 base-85 digits."""
    out = ''
    for i in range(0, len(b), 4):
        n = int.from_bytes(b[i:i + 4], 'big')
        out += ''.join(Z85[n // 85**k % 85] for k in range(4, -1, -1))
    return out


def is_uint(v, lo=0, hi=U64):
    return type(v) is int and lo <= v <= hi


def text(v, maxlen, minlen=0):
    """Section 2.3: UTF-8 text without controls other than TAB and LF."""
    if not isinstance(v, Str) or not minlen <= len(v) <= maxlen:
        return None
    try:
        s = bytes(v).decode('utf-8')        # Python refuses overlongs and surrogates
    except UnicodeDecodeError:
        return None
    if any((ord(c) < 0x20 and c not in '\t\n') or c == '\x7f' for c in s):
        return None
    return s


def decode(b):
    """Sections 2.5 and 4: the fields of a message, named as in the vectors."""
    if len(b) > MAX_FRAME:
        raise Refused(413)
    root = unpack(b)
    if type(root) is not list or len(root) < 2 or not is_uint(root[0]) or root[0] != SIGNATURE:
        raise Refused(400)
    if not is_uint(root[1]) or root[1] != VERSION:
        raise Refused(405)
    if len(root) != 4:
        raise Refused(400)
    if not is_uint(root[2], 1, len(TYPES) - 1):
        raise Refused(406)
    if not isinstance(root[3], Map):
        raise Refused(400)
    body = root[3]

    def get(key, required=True):
        found = [v for k, v in body if isinstance(k, Str) and k == key.encode()]
        if len(found) > 1 or (required and not found):
            raise Refused(407)
        return found[0] if found else None

    def uint(key, lo=0, hi=U63, required=True):
        v = get(key, required)
        if v is None and not required:
            return None
        if not is_uint(v, lo, hi):
            raise Refused(407)
        return v

    def string(key, maxlen, required=True):
        v = get(key, required)
        if v is None and not required:
            return None
        s = text(v, maxlen)
        if s is None:
            raise Refused(407)
        return s

    def hash32(key):
        v = get(key)
        if not isinstance(v, Bin) or len(v) != 32:
            raise Refused(407)
        return v.hex()

    def site_id(key):
        s = string(key, MAX_NAME)
        if not SITE_ID.fullmatch(s):
            raise Refused(407)
        return s

    def curve_key():
        m['key'] = hash32('key')            # a CURVE public key: bin 32 too
        m['key_z85'] = z85(bytes.fromhex(m['key']))

    m = {'type': TYPES[root[2]], 'sess': uint('sess', hi=U64)}
    t = m['type']

    def events():
        v = get('events')
        if type(v) is not list:
            raise Refused(407)
        if len(v) > MAX_EVENTS:
            raise Refused(413)
        m['events'] = len(v)
        for i, e in enumerate(v):
            if type(e) is not list or len(e) < 8:
                raise Refused(407)
            seq, id_, hlc, wall, typ, payload, prev, h = e[:8]
            if not (is_uint(seq, 1, U63) and isinstance(id_, Bin) and len(id_) == 16
                    and is_uint(hlc) and type(wall) is int and -2**63 <= wall <= U63
                    and text(typ, MAX_NAME, 1) is not None
                    and isinstance(payload, Bin) and len(payload) <= MAX_PAYLOAD
                    and isinstance(prev, Bin) and len(prev) == 32
                    and isinstance(h, Bin) and len(h) == 32):
                raise Refused(407)
            p = 'event.%d.' % i
            m.update({p + 'seq': seq, p + 'id': id_.hex(), p + 'hlc': hlc, p + 'wall_ms': wall,
                      p + 'type': text(typ, MAX_NAME), p + 'payload': payload.hex(),
                      p + 'prev': prev.hex(), p + 'hash': h.hex()})

    def telemetry(ping):
        # Section 4.1.1: optional keys of HELLO and PING, in this order.
        if ping:
            m['last_seq'] = uint('last_seq', required=False)
        m['outbox'] = uint('outbox', required=False)
        m['outbox_age_ms'] = uint('outbox_age_ms', required=False)
        v = get('clock_ms', False)
        if v is not None:
            if type(v) is not int or not -2**63 <= v <= U63:
                raise Refused(407)
            m['clock_ms'] = v
        m['disk_free'] = uint('disk_free', hi=U64, required=False)
        m['last_error'] = string('last_error', MAX_TELEMETRY_TEXT, False)

    if t == 'HELLO':
        m['site'] = site_id('site')
        m['last_seq'] = uint('last_seq')
        m['last_hash'] = hash32('last_hash')
        m['cursor'] = uint('cursor')
        m['hlc'] = uint('hlc', hi=U64)
        m['agent'] = string('agent', MAX_NAME, False)
        telemetry(False)
    elif t == 'WELCOME':
        m['server_seq'] = uint('server_seq')
        m['match_seq'] = uint('match_seq', hi=m['server_seq'])
        m['match_hash'] = hash32('match_hash')
        m['log_head'] = uint('log_head')
        m['hlc'] = uint('hlc', hi=U64)
        m['credit'] = uint('credit', 1, 16)
        m['max_batch'] = uint('max_batch', 1, MAX_EVENTS)
        m['heartbeat_ms'] = uint('heartbeat_ms', 0, 600000)
        m['log_id'] = string('log_id', MAX_NAME, False)
    elif t == 'BATCH':
        events()
    elif t == 'ACK':
        m['acked'] = uint('acked')
        m['log_head'] = uint('log_head')
    elif t == 'FETCH':
        m['from'] = uint('from')
        m['max'] = uint('max', 1, MAX_EVENTS)
    elif t == 'EVENTS':
        m['server_seq'] = uint('server_seq')
        events()
    elif t == 'LOG_PULL':
        m['after'] = uint('after')
        m['max'] = uint('max', 1, MAX_ENTRIES)
    elif t == 'LOG':
        m['upto'] = uint('upto')
        m['log_head'] = uint('log_head')
        v = get('entries')
        if type(v) is not list:
            raise Refused(407)
        if len(v) > MAX_ENTRIES:
            raise Refused(413)
        m['entries'] = len(v)
        last = 0
        for i, e in enumerate(v):
            if type(e) is not list or len(e) < 4 or not is_uint(e[0], last + 1, m['upto']):
                raise Refused(407)
            kind, key = text(e[1], MAX_NAME, 1), text(e[2], MAX_NAME)
            value = None if e[3] is None else text(e[3], MAX_TEXT)
            if kind is None or key is None or (e[3] is not None and value is None):
                raise Refused(407)
            last = e[0]
            p = 'entry.%d.' % i
            m.update({p + 'lseq': e[0], p + 'kind': kind, p + 'key': key})
            if value is None:
                m[p + 'value_nil'] = 'yes'
            else:
                m[p + 'value'] = value
    elif t == 'PING':
        telemetry(True)
    elif t == 'PONG':
        m['log_head'] = uint('log_head')
    elif t == 'ADMIN':
        m['verb'] = string('verb', MAX_NAME)
        v = get('args')
        if not isinstance(v, Map):
            raise Refused(407)
        if len(v) > MAX_ARGS:
            raise Refused(413)              # the count before the arguments
        m['args'] = len(v)
        seen = set()
        for i, (k, x) in enumerate(v):
            name, value = text(k, MAX_NAME), text(x, MAX_ADMIN_ARG)
            if name is None or value is None or name in seen:
                raise Refused(407)          # not str -> str, or a name given twice
            seen.add(name)
            m['arg.%d.key' % i], m['arg.%d.value' % i] = name, value
    elif t == 'REPLY':
        m['text'] = string('text', MAX_TEXT)
        m['columns'] = uint('columns', 0, MAX_COLUMNS)
        v = get('cells')
        if type(v) is not list:
            raise Refused(407)
        if len(v) > MAX_CELLS:
            raise Refused(413)
        if (len(v) % m['columns'] if m['columns'] else len(v)) != 0:
            raise Refused(407)              # whole rows only; no cells without columns
        m['cells'] = len(v)
        for i, c in enumerate(v):
            m['cell.%d' % i] = text(c, MAX_TEXT)
            if m['cell.%d' % i] is None:
                raise Refused(407)
    elif t == 'ENROLL':
        m['site'] = site_id('site')
        curve_key()
    elif t == 'ROTATE':
        curve_key()
    elif t == 'ERROR':
        m['code'] = uint('code', 0, 999)
        m['text'] = string('text', MAX_TEXT)
        m['field'] = string('field', MAX_NAME, False)
        m['seq'] = uint('seq', required=False) or None        # 0 means none
        m['expected'] = uint('expected', required=False) or None
    return {k: v for k, v in m.items() if v is not None}


def error_sess(b):
    """Section 2.6: the sess an ERROR answering a refused frame carries."""
    try:
        root = unpack(b)
    except Refused:
        return 0
    if (type(root) is list and len(root) >= 4 and is_uint(root[0]) and root[0] == SIGNATURE
            and isinstance(root[3], Map)):
        for k, v in root[3]:
            if isinstance(k, Str) and k == b'sess':
                return v if is_uint(v) else 0
    return 0


def hash_input(site, f, p):
    """Section 6: the bytes hashed for an event."""
    site, typ, payload = site.encode(), f[p + 'type'].encode(), bytes.fromhex(f[p + 'payload'])
    return (b'shuanglian.event.v1' + bytes.fromhex(f[p + 'prev'])
            + bytes([len(site)]) + site + int(f[p + 'seq']).to_bytes(8, 'big')
            + bytes.fromhex(f[p + 'id']) + int(f[p + 'hlc']).to_bytes(8, 'big')
            + (int(f[p + 'wall_ms']) & U64).to_bytes(8, 'big')
            + bytes([len(typ)]) + typ + len(payload).to_bytes(8, 'big') + payload)


def check_event(name, site, f, p, fail):
    x = hash_input(site, f, p)
    if x.hex() != f[p + 'hash_input']:
        fail('%s: %shash_input differs from the one built from the fields' % (name, p))
    if hashlib.blake2b(x, digest_size=32).hexdigest() != f[p + 'hash']:
        fail('%s: %shash is not BLAKE2b-256 of the input' % (name, p))
    ms, counter = int(f[p + 'hlc_ms']), int(f[p + 'hlc_counter'])
    if int(f[p + 'hlc']) != ms << 16 | counter or int(f[p + 'id'][:12], 16) != ms:
        fail('%s: %shlc or id layout' % (name, p))
    if f[p + 'id_text'].replace('-', '') != f[p + 'id']:
        fail('%s: %sid_text' % (name, p))


def read_hex(path):
    with open(path, encoding='ascii') as fh:
        return bytes.fromhex(''.join(l.strip() for l in fh if not l.startswith('#')))


def read_txt(path):
    d = {}
    with open(path, encoding='utf-8') as fh:
        for line in fh:
            line = line.rstrip('\n')
            if line and not line.startswith('#'):
                key, _, value = line.partition(' =')
                d[key] = value[1:] if value.startswith(' ') else value
    return d


def main():
    here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    failures = []
    fail = failures.append
    with open(os.path.join(here, 'index.txt'), encoding='ascii') as fh:
        names = [l.strip() for l in fh if l.strip() and not l.startswith('#')]
    for name in names:
        b = read_hex(os.path.join(here, name + '.hex'))
        d = read_txt(os.path.join(here, name + '.txt'))
        kind = d.pop('kind')
        if kind == 'message':
            d.pop('reencode')
            site = d.pop('hash_site', None)
            try:
                m = decode(b)
            except Refused as e:
                fail('%s: refused with %d' % (name, e.code))
                continue
            info = ('.id_text', '.hlc_ms', '.hlc_counter', '.hash_input')
            for k in set(d) | set(m):
                if not k.endswith(info) and str(m.get(k)) != d.get(k):
                    fail('%s: %s decoded %r, described %r' % (name, k, m.get(k), d.get(k)))
            for i in range(m.get('events', 0) if site else 0):
                check_event(name, site, d, 'event.%d.' % i, fail)
        elif kind == 'malformed':
            try:
                decode(b)
                got = 0
            except Refused as e:
                got = e.code
            if str(got) != d['expect']:
                fail('%s: refused with %d, expected %s' % (name, got, d['expect']))
            if str(error_sess(b)) != d['error_sess']:
                fail('%s: ERROR sess %d, expected %s' % (name, error_sess(b), d['error_sess']))
        elif kind == 'event_hash':
            check_event(name, d['site'], d, 'event.0.', fail)
            if b.hex() != d['event.0.hash_input']:
                fail('%s: .hex is not the listed hash input' % name)
        elif kind in ('payload', 'payload_legacy'):
            fields = unpack(b)
            if not isinstance(fields, Map) or len(fields) != int(d['fields']):
                fail('%s: not a map of %s fields' % (name, d['fields']))
                continue
            for k, v in fields:
                want = d.get('field.' + bytes(k).decode())
                got = (bytes(v).decode() if isinstance(v, Str) else str(v) if type(v) is int
                       else '%s-%s-%s-%s-%s' % tuple(v.hex()[a:z] for a, z in
                                                     ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))))
                if got != want:
                    fail('%s: field %s is %r, described %r' % (name, bytes(k).decode(), got, want))
            if kind == 'payload_legacy':
                # 0.2.0 names read as today's (PROTOCOL.md record catalog):
                # done_on and reported_on are `on`; a matter without a status is done.
                old = {bytes(k).decode(): v for k, v in fields}
                reads = {k[6:]: v for k, v in d.items() if k.startswith('reads.')}
                for new, was in (('on', 'done_on'), ('on', 'reported_on')):
                    if was in old and reads.get(new) != bytes(old[was]).decode():
                        fail('%s: %s should read as %s' % (name, was, new))
                if d['record_type'] == 'service_matter' and 'status' not in old \
                        and reads.get('status') != 'done':
                    fail('%s: a 0.2.0 service_matter reads as done' % name)
        else:
            fail('%s: unknown kind %s' % (name, kind))
    for f in failures:
        print('FAIL', f)
    print('%d vectors, %d failures' % (len(names), len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
