CREATE INDEX CONCURRENTLY IF NOT EXISTS lineitem_l_shipdate_idx ON public.lineitem (l_shipdate);
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_o_orderdate_idx ON public.orders (o_orderdate) INCLUDE (o_orderpriority);
CREATE INDEX CONCURRENTLY IF NOT EXISTS lineitem_l_shipmode_l_receiptdate_idx ON public.lineitem (l_shipmode, l_receiptdate);
CREATE INDEX CONCURRENTLY IF NOT EXISTS partsupp_ps_supplycost_idx ON public.partsupp (ps_supplycost);
CREATE INDEX CONCURRENTLY IF NOT EXISTS part_p_brand_p_container_idx ON public.part (p_brand, p_container);
CREATE INDEX CONCURRENTLY IF NOT EXISTS part_p_type_idx ON public.part (p_type) INCLUDE (p_partkey);
CREATE INDEX CONCURRENTLY IF NOT EXISTS part_p_name_idx ON public.part (p_name) INCLUDE (p_partkey);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customer_c_mktsegment_idx ON public.customer (c_mktsegment);
