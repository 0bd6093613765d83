"""The pure model of the project: the function contract, the stack config and IAM documents.

No Pulumi resources and no AWS calls: everything here is plain data and functions, tested on its own.
Imports flow one way: model -> components -> the program.
"""
