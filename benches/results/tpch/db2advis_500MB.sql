CREATE INDEX ON public.partsupp (ps_supplycost,ps_partkey);
CREATE INDEX ON public.orders (o_custkey);
CREATE INDEX ON public.partsupp (ps_suppkey);
CREATE INDEX ON public.lineitem (l_partkey,l_quantity);
CREATE INDEX ON public.customer (c_custkey,c_nationkey);
CREATE INDEX ON public.orders (o_orderkey,o_orderpriority);
CREATE INDEX ON public.customer (c_acctbal);
CREATE INDEX ON public.orders (o_orderdate);
