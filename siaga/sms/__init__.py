"""SMS in and out through a self-hosted gateway (issue 21): the adapter, the inbound commands, the channel.

`gateway.py` is what Siaga needs of any provider; `smsgate.py` speaks the open-source SMS Gateway for
Android (sms-gate.app); `fake_gateway.py` is a local stand-in with the same API for the tests and the demo.
"""
