# Regenerates gatech_p{0..5}.pkl and gatech_expected.json: a small EasyTPP
# Gatech data set pickled by CPython's own pickler with every protocol, so the
# Go reader is checked against an independent producer. Run: python3 gen_gatech.py
import json
import pickle


def seq(times, types):
    out, prev = [], None
    for t, k in zip(times, types):
        out.append({'idx_event': len(out), 'time_since_start': t,
                    'time_since_last_event': 0 if prev is None else t - prev, 'type_event': k})
        prev = t
    return out


# Awkward floats, a Python int time (7), a tie (2.5, 2.5), large offsets.
train = [seq([0.1, 0.30000000000000004, 2.5, 2.5, 7], [0, 2, 1, 1, 0]),
         seq([151156.8853, 151157.0156705176, 151157.25307051762], [3, 3, 0])]
dev = [seq([1 / 3, 2 / 3], [1, 2])]
d = {'dim_process': 4, 'args': None, 'devtest': [], 'train': train, 'dev': dev, 'test': []}
expect = {'dim_process': 4}
for name, split in (('train', train), ('dev', dev)):
    expect[name] = [{'times': [e['time_since_start'] for e in s], 'types': [e['type_event'] for e in s]} for s in split]
for p in range(6):
    with open(f'gatech_p{p}.pkl', 'wb') as f:
        pickle.dump(d, f, protocol=p)
with open('gatech_expected.json', 'w') as f:
    json.dump(expect, f, indent=1)
