"""Test harness: real servers (moto, AWS's Runtime Interface Emulator, a test Runtime API) bound to
127.0.0.1 on free ports, started and stopped by the tests."""
