from ipykernel.kernelapp import IPKernelApp

from .kernel import QsplayKernel

IPKernelApp.launch_instance(kernel_class=QsplayKernel)
