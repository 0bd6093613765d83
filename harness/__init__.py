"""What tests/ and bench/ both run functions with: real servers (moto, AWS's Runtime Interface
Emulator, a Runtime API of our own) bound to 127.0.0.1 on free ports and stopped by their users,
emulators of Lambda, CloudWatch and CodeDeploy that keep AWS's rules on emulated time
(docs/emulators.md), the function binaries in their three flavours, and the Python baselines
(`baselines/`)."""
