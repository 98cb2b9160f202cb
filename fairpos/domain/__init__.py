"""The market's rules, pure: money and rates (``money``), quantities (``quantity``), the
catalog (``catalog``), what a volunteer types (``typed``), the cart (``cart``), tenders and
their settlement (``tenders``), the change a drawer can give (``change``), a sale
(``sale``), a shift's counts (``shift``), reports (``reports``), barcodes and the weighing
station's labels (``barcodes``, ``station``). Nothing here touches a file, a device, the
network or a screen (an import contract keeps it so)."""
